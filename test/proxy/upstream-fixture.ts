/**
 * A fake Cline upstream for the proxy tests: listens on 127.0.0.1, port 0, and answers
 * POST /api/v1/chat/completions the way the real API does (SSE in the Cline layout, or JSON),
 * with controllable gaps between events and controllable failures.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const UPSTREAM_MODEL = "anthropic/claude-sonnet-4-6";
export const KEEP_ALIVE = ": OPENROUTER PROCESSING\n\n";

/** What the upstream does with one request. Every field is optional; the default streams a good answer. */
export interface Behaviour {
  /** Milliseconds between SSE events; default 60. */
  gapMs?: number;
  /** The answer's text; default derived from the last user message and the call number. */
  content?: string;
  /** Extra response headers (e.g. a `set-cookie`). */
  headers?: Record<string, string>;
  /** Destroy the socket after this many `data:` chunks: no finish, no [DONE], no terminating chunk. */
  failAfter?: number;
  /** After the first `data:` chunk, wait for this promise before sending the rest. */
  holdAfterFirst?: Promise<unknown>;
  /** Answer with this status and a JSON error body (`errorBody`, default the contract's envelope). */
  status?: number;
  errorBody?: unknown;
  /** Answer with this status and a body that is not JSON. */
  rawError?: { status: number; body: string; contentType: string };
  /** Accept the request and never answer. */
  never?: boolean;
  /** Send the `x-generation-id` header naming the stream's id; default true. */
  generationIdHeader?: boolean;
}

export interface UpstreamRequest {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** Every byte of the response body this request was sent, in order (filled in as it is written). */
  sent: string;
  /** Each network write of the body, in order. */
  writes: string[];
  /** The connection closed before the response was complete (the proxy hung up). */
  cutOff: boolean;
  /** Resolves when the response is over, complete or cut off. */
  closed: Promise<void>;
}

export type Handler = Behaviour | ((request: UpstreamRequest, call: number) => Behaviour);

export interface Upstream {
  /** Base URL as the mock's `upstream` option wants it: `http://127.0.0.1:PORT/api/v1`. */
  url: string;
  requests: UpstreamRequest[];
  close(): Promise<void>;
}

type Message = { role?: string; content?: unknown };

export function lastUserText(body: Record<string, unknown>): string {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as Message[];
  const last = [...messages].reverse().find((m) => m.role === "user");
  return typeof last?.content === "string" ? last.content : "";
}

/** The default answer: different for every request text and every call. */
export function defaultContent(body: Record<string, unknown>, call: number): string {
  return `Answer ${call} to "${lastUserText(body)}": here is what you asked for, in four parts.`;
}

/** Splits text into `n` pieces (by words, spaces kept) whose concatenation is the text. */
export function pieces(text: string, n = 4): string[] {
  const words = text.split(/(?<= )/);
  const size = Math.ceil(words.length / n);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += size) out.push(words.slice(i, i + size).join(""));
  return out;
}

export function usageFor(body: Record<string, unknown>, content: string) {
  const prompt = JSON.stringify(body.messages ?? []).split(/\s+/).length + 7;
  const completion = content.split(" ").length;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
    cost: Number(((prompt * 3 + completion * 15) / 1_000_000).toFixed(6)),
    is_byok: false,
    cost_details: { upstream_inference_cost: null },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The SSE events of a streamed answer, in order, each a complete event with its blank line. */
export function streamEvents(id: string, model: string, content: string, usage: unknown): string[] {
  const created = 1_767_000_000;
  const chunk = (delta: unknown, finish: string | null, extra = "") =>
    `data: {"id":"${id}","provider":"Anthropic","model":${JSON.stringify(model)},"object":"chat.completion.chunk","created":${created},"choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":${JSON.stringify(finish)},"native_finish_reason":${JSON.stringify(finish)},"logprobs":null}]${extra}}\n\n`;
  return [
    KEEP_ALIVE,
    chunk({ role: "assistant", content: "" }, null),
    ...pieces(content).map((p) => chunk({ role: "assistant", content: p }, null)),
    chunk({ role: "assistant", content: "" }, "stop", `,"usage":${JSON.stringify(usage)}`),
    "data: [DONE]\n\n",
  ];
}

export async function startUpstream(handler: Handler = {}): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => parts.push(d));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/api/v1/chat/completions") {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: 404, message: `fixture: no route ${req.method} ${req.url}`, metadata: {} } }));
        return;
      }
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(parts).toString("utf8")) as Record<string, unknown>;
      } catch {
        // Kept empty: the test will see the request anyway.
      }
      const closed = new Promise<void>((resolve) => res.once("close", resolve));
      const request: UpstreamRequest = { headers: req.headers, body, sent: "", writes: [], cutOff: false, closed };
      res.once("close", () => {
        if (!res.writableFinished) request.cutOff = true;
      });
      requests.push(request);
      const call = ++calls;
      const behaviour = typeof handler === "function" ? handler(request, call) : handler;
      void answer(request, call, behaviour, res);
    });
  });

  const write = (request: UpstreamRequest, res: ServerResponse, text: string): Promise<void> =>
    new Promise((resolve) => {
      request.sent += text;
      request.writes.push(text);
      res.write(text, () => resolve());
    });

  async function answer(request: UpstreamRequest, call: number, b: Behaviour, res: ServerResponse): Promise<void> {
    if (b.never) return;
    if (b.rawError) {
      request.sent = b.rawError.body;
      res.writeHead(b.rawError.status, { "content-type": b.rawError.contentType });
      res.end(b.rawError.body);
      return;
    }
    if (b.status !== undefined) {
      const text = JSON.stringify(b.errorBody ?? { error: { code: b.status, message: `fixture error ${b.status}`, metadata: {} } });
      request.sent = text;
      res.writeHead(b.status, { "content-type": "application/json", ...b.headers });
      res.end(text);
      return;
    }
    const model = typeof request.body.model === "string" ? request.body.model : UPSTREAM_MODEL;
    const content = b.content ?? defaultContent(request.body, call);
    const usage = usageFor(request.body, content);
    const id = `gen-${call}-${Buffer.from(lastUserText(request.body)).toString("hex").slice(0, 12)}`;
    const idHeader = b.generationIdHeader === false ? {} : { "x-generation-id": id };
    if (request.body.stream === false) {
      const text = JSON.stringify({
        id,
        provider: "Anthropic",
        model,
        object: "chat.completion",
        created: 1_767_000_000,
        choices: [
          {
            index: 0,
            logprobs: null,
            finish_reason: "stop",
            native_finish_reason: "stop",
            message: { role: "assistant", content, refusal: null, reasoning: null },
          },
        ],
        usage,
      });
      request.sent = text;
      res.writeHead(200, { "content-type": "application/json", ...idHeader, ...b.headers });
      res.end(text);
      return;
    }
    const gap = b.gapMs ?? 60;
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      ...idHeader,
      ...b.headers,
    });
    res.flushHeaders();
    let dataChunks = 0;
    for (const [i, event] of streamEvents(id, model, content, usage).entries()) {
      if (i > 0 && gap > 0) await sleep(gap);
      if (res.destroyed) return;
      await write(request, res, event);
      if (event.startsWith("data: {")) dataChunks++;
      if (b.failAfter !== undefined && dataChunks >= b.failAfter) {
        res.socket?.destroy();
        return;
      }
      if (dataChunks === 1 && event.startsWith("data: {") && b.holdAfterFirst) await b.holdAfterFirst;
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port that refuses connections: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
