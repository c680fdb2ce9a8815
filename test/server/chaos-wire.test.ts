/**
 * Faults and quirks on the wire (SPEC.md section 5, contract.md sections 4, 5, 8 and 9), read with
 * node:http so every byte and every network read is seen as the client's socket gets it: no SDK
 * in between. Each test names the fault, sends one request with `x-mock-fault` (or sets the fault
 * another way), and checks the bytes, how the response ends, and the `x-mock-fault` header.
 */
import { type IncomingHttpHeaders, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type JournalEntry, type MockServer, type ScenarioInput, startMockServer } from "../../src/index.js";

const MODEL = "anthropic/claude-sonnet-4-6";
/** Long enough for 20+ chunks at token:2, with a two-byte character in the first content chunk. */
const CONTENT =
  "Café au lait: the quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun " +
  "while the birds sing songs about spring, rain, rivers and the long road home through the hills.";

const scenarios: ScenarioInput[] = [
  {
    name: "steps",
    match: { lastUserMessage: "case:steps" },
    sequence: [{ reply: { content: "first" } }, { reply: { content: "second" } }],
  },
  { name: "scenario-fault", match: { lastUserMessage: "case:scenario-fault" }, reply: { content: CONTENT }, fault: "error@2" },
  { name: "scenario-calm", match: { lastUserMessage: "case:scenario-calm" }, reply: { content: CONTENT }, fault: "none" },
  { name: "chaos", reply: { content: CONTENT } },
];

let mock: MockServer;
let sessionCounter = 0;
const newSession = () => `wire-${++sessionCounter}-${Date.now()}`;

beforeAll(async () => {
  mock = await startMockServer({ port: 0, latency: "none", chunk: "token:2", scenarios });
});

afterAll(async () => {
  await mock?.close();
});

interface RawResponse {
  /** 0 when no response (status line) ever arrived. */
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as the socket delivered it, one Buffer per read. */
  reads: Buffer[];
  /** When each read arrived, in ms after the request was sent. */
  readAt: number[];
  /** When the status line and headers arrived, in ms after the request was sent. */
  headersAt: number;
  /** `end`: the body ended cleanly; `aborted`: the server dropped the connection mid-body; `gave-up`: we closed it; `no-response`: the socket closed before any headers. */
  outcome: "end" | "aborted" | "gave-up" | "no-response";
  text: string;
}

interface SendOptions {
  fault?: string;
  session?: string;
  message?: string;
  stream?: boolean;
  headers?: Record<string, string>;
  /** Close the connection ourselves after this many ms (for stalls). */
  giveUpAfterMs?: number;
  server?: MockServer;
}

function send(options: SendOptions = {}): Promise<RawResponse> {
  const server = options.server ?? mock;
  const body = JSON.stringify({
    model: MODEL,
    messages: [{ role: "user", content: options.message ?? "case:chaos" }],
    stream: options.stream ?? true,
  });
  const headers: Record<string, string> = {
    "content-type": "application/json",
    authorization: "Bearer test",
    "x-mock-session": options.session ?? newSession(),
    ...(options.fault === undefined ? {} : { "x-mock-fault": options.fault }),
    ...options.headers,
  };
  return new Promise((resolve) => {
    const started = performance.now();
    const since = () => performance.now() - started;
    let gaveUp = false;
    const result: RawResponse = { status: 0, headers: {}, reads: [], readAt: [], headersAt: -1, outcome: "no-response", text: "" };
    const finish = (outcome: RawResponse["outcome"]) => {
      clearTimeout(timer);
      result.outcome = gaveUp ? "gave-up" : outcome;
      result.text = Buffer.concat(result.reads).toString("utf8");
      resolve(result);
    };
    const req = request(`${server.origin}/api/v1/chat/completions`, { method: "POST", headers }, (res) => {
      result.status = res.statusCode ?? 0;
      result.headers = res.headers;
      result.headersAt = since();
      res.on("data", (chunk: Buffer) => {
        result.reads.push(chunk);
        result.readAt.push(since());
      });
      res.on("error", () => {});
      res.on("close", () => finish(res.complete ? "end" : "aborted"));
    });
    req.on("error", () => {
      if (result.status === 0) finish("no-response");
    });
    const timer =
      options.giveUpAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            gaveUp = true;
            req.destroy();
          }, options.giveUpAfterMs);
    req.end(body);
  });
}

/** The SSE events of a body: blocks separated by a blank line, each a list of lines. */
function events(text: string): string[][] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block !== "")
    .map((block) => block.split(/\r?\n/));
}

/** The `data:` values in order, `[DONE]` included. */
function dataValues(text: string): string[] {
  return events(text).flatMap((lines) => lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()));
}

interface Chunk {
  choices: Array<{ delta?: { content?: string | null }; finish_reason?: string | null; error?: { code: string; message: string } }>;
  usage?: Record<string, unknown> | null;
  error?: { code: string; message: string; metadata: unknown };
}

/** The JSON chunks (everything but `[DONE]`); throws on a data line that is not JSON. */
function chunks(text: string): Chunk[] {
  return dataValues(text)
    .filter((d) => d !== "[DONE]")
    .map((d) => JSON.parse(d) as Chunk);
}

const contentOf = (list: Chunk[]) => list.map((c) => c.choices[0]?.delta?.content ?? "").join("");
const finishes = (list: Chunk[]) => list.filter((c) => (c.choices[0]?.finish_reason ?? null) !== null);
const journal = (session: string, server: MockServer = mock): JournalEntry[] => server.requests().filter((e) => e.session === session);

/** The indexes of the reads that came at least `ms` after the previous read (or after the headers, for the first). */
function gapsOf(r: RawResponse, ms: number): number[] {
  const out: number[] = [];
  let previous = r.headersAt;
  r.readAt.forEach((at, i) => {
    if (at - previous >= ms) out.push(i);
    previous = at;
  });
  return out;
}

/** The body before and after the read at `index`. */
function splitAt(r: RawResponse, index: number): { before: string; after: string } {
  return { before: Buffer.concat(r.reads.slice(0, index)).toString("utf8"), after: Buffer.concat(r.reads.slice(index)).toString("utf8") };
}

describe("a stream without a fault (the baseline the faults break)", () => {
  it("sends 20+ chunks with the whole content, a finish chunk with usage, [DONE] last, and no x-mock-fault header", async () => {
    const r = await send();

    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(r.headers["x-mock-fault"]).toBeUndefined();
    expect(r.outcome).toBe("end");
    const list = chunks(r.text);
    expect(list.length).toBeGreaterThan(20);
    expect(contentOf(list)).toBe(CONTENT);
    expect(finishes(list)).toHaveLength(1);
    expect(list.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(typeof list.at(-1)?.usage?.completion_tokens).toBe("number");
    expect(dataValues(r.text).at(-1)).toBe("[DONE]");
  });
});

describe("mid-stream faults", () => {
  it("error@2: exactly 2 chunks, then one chunk with top-level error and finish_reason error with its own error, then a clean end without [DONE]", async () => {
    const session = newSession();
    const r = await send({ fault: "error@2", session });

    expect(r.status).toBe(200);
    expect(r.headers["x-mock-fault"]).toBe("error@2");
    expect(r.outcome).toBe("end");
    const values = dataValues(r.text);
    expect(values).not.toContain("[DONE]");
    const list = chunks(r.text);
    expect(list).toHaveLength(3);
    expect(list.slice(0, 2).every((c) => c.error === undefined && (c.choices[0]?.finish_reason ?? null) === null)).toBe(true);
    const last = list[2];
    expect(last?.error).toEqual({ code: "server_error", message: "Provider disconnected unexpectedly", metadata: {} });
    expect(last?.choices[0]?.finish_reason).toBe("error");
    expect(last?.choices[0]?.error).toEqual({ code: "server_error", message: "Provider disconnected unexpectedly" });
    expect(CONTENT.startsWith(contentOf(list))).toBe(true);
    await vi.waitFor(() => expect(journal(session)[0]?.fault).toBe("error@2"));
  });

  it("disconnect@2: 2 chunks, then the socket closes mid-body: no finish chunk, no [DONE], no clean end", async () => {
    const session = newSession();
    const r = await send({ fault: "disconnect@2", session });

    expect(r.status).toBe(200);
    expect(r.headers["x-mock-fault"]).toBe("disconnect@2");
    expect(r.outcome).toBe("aborted");
    const list = chunks(r.text);
    expect(list).toHaveLength(2);
    expect(finishes(list)).toEqual([]);
    expect(dataValues(r.text)).not.toContain("[DONE]");
    await vi.waitFor(() => expect(journal(session)[0]).toMatchObject({ fault: "disconnect@2", aborted: true }));
  });

  it("disconnect@0: the socket closes before the status line, so the client gets no response at all", async () => {
    const r = await send({ fault: "disconnect@0" });

    expect(r.outcome).toBe("no-response");
    expect(r.status).toBe(0);
  });

  it("truncate@2: 2 chunks, then a clean end with no finish_reason and no [DONE]", async () => {
    const r = await send({ fault: "truncate@2" });

    expect(r.status).toBe(200);
    expect(r.headers["x-mock-fault"]).toBe("truncate@2");
    expect(r.outcome).toBe("end");
    const list = chunks(r.text);
    expect(list).toHaveLength(2);
    expect(finishes(list)).toEqual([]);
    expect(dataValues(r.text)).not.toContain("[DONE]");
  });

  it("stall@2: 2 chunks, then silence with the connection open until the client leaves", async () => {
    const session = newSession();
    const r = await send({ fault: "stall@2", session, giveUpAfterMs: 400 });

    expect(r.status).toBe(200);
    expect(r.headers["x-mock-fault"]).toBe("stall@2");
    // Still open after 400 ms: only our own close ended it.
    expect(r.outcome).toBe("gave-up");
    const list = chunks(r.text);
    expect(list).toHaveLength(2);
    expect(finishes(list)).toEqual([]);
    await vi.waitFor(() => expect(journal(session)[0]).toMatchObject({ fault: "stall@2", aborted: true }));
  });

  // stall@0 once sent no status line at all (the headers waited for a first event that never came).
  it("stall@0: the 200 status line and headers arrive, then silence", async () => {
    const r = await send({ fault: "stall@0", giveUpAfterMs: 400 });

    expect(r.status).toBe(200);
    expect(r.headers["x-mock-fault"]).toBe("stall@0");
    expect(r.outcome).toBe("gave-up");
    expect(r.text).toBe("");
  });

  // stall@N:MS and slow@N:MS put the same single pause after N chunks; nothing else waits that long.
  for (const fault of ["stall@2:300", "slow@2:300"]) {
    it(`${fault}: 2 chunks, one pause of at least 240 ms, then the rest of the stream to [DONE]`, async () => {
      const r = await send({ fault });

      expect(r.headers["x-mock-fault"]).toBe(fault);
      expect(r.outcome).toBe("end");
      const gaps = gapsOf(r, 240);
      expect(gaps).toHaveLength(1);
      const { before, after } = splitAt(r, gaps[0] ?? -1);
      expect(chunks(before)).toHaveLength(2);
      expect(dataValues(after).at(-1)).toBe("[DONE]");
      expect(contentOf(chunks(r.text))).toBe(CONTENT);
    });
  }

  it("ttfb:300: the status line arrives at least 240 ms after the request, then the whole stream", async () => {
    const r = await send({ fault: "ttfb:300" });

    expect(r.status).toBe(200);
    expect(r.headers["x-mock-fault"]).toBe("ttfb:300");
    expect(r.headersAt).toBeGreaterThanOrEqual(240);
    expect(r.outcome).toBe("end");
    expect(contentOf(chunks(r.text))).toBe(CONTENT);
    expect(dataValues(r.text).at(-1)).toBe("[DONE]");
  });

  it("malformed@1: after 1 chunk, one data: line that is not JSON, then the stream goes on to [DONE]", async () => {
    const r = await send({ fault: "malformed@1" });

    expect(r.headers["x-mock-fault"]).toBe("malformed@1");
    expect(r.outcome).toBe("end");
    const values = dataValues(r.text);
    const notJson = values.flatMap((v, i) => {
      try {
        JSON.parse(v === "[DONE]" ? "null" : v);
        return [];
      } catch {
        return [i];
      }
    });
    expect(notJson).toEqual([1]);
    expect(values.at(-1)).toBe("[DONE]");
    const good = values.filter((_, i) => i !== 1 && i !== values.length - 1).map((v) => JSON.parse(v) as Chunk);
    expect(contentOf(good)).toBe(CONTENT);
    expect(finishes(good)).toHaveLength(1);
  });
});

describe("quirks", () => {
  it("quirk:crlf: every line ends in \\r\\n, [DONE] included, and the content is whole", async () => {
    const r = await send({ fault: "quirk:crlf" });

    expect(r.headers["x-mock-fault"]).toBe("quirk:crlf");
    expect(r.outcome).toBe("end");
    expect(r.text.endsWith("data: [DONE]\r\n\r\n")).toBe(true);
    expect(r.text.match(/\n/g)?.length).toBeGreaterThan(40);
    expect(r.text.match(/(?<!\r)\n/g)).toBeNull();
    expect(contentOf(chunks(r.text))).toBe(CONTENT);
  });

  it("quirk:event-lines: an event: line precedes every JSON data line (event: error before the error chunk)", async () => {
    const r = await send({ fault: "quirk:event-lines" });

    expect(r.headers["x-mock-fault"]).toBe("quirk:event-lines");
    const blocks = events(r.text).filter((lines) => lines.some((l) => l.startsWith("data: {")));
    expect(blocks.length).toBeGreaterThan(20);
    for (const lines of blocks) {
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe("event: message");
      expect(lines[1]?.startsWith("data: {")).toBe(true);
    }
    expect(contentOf(chunks(r.text))).toBe(CONTENT);
    expect(events(r.text).at(-1)).toEqual(["data: [DONE]"]);

    const withError = await send({ fault: "quirk:event-lines+error@2" });
    const last = events(withError.text).at(-1) ?? [];
    expect(last[0]).toBe("event: error");
    expect(JSON.parse(last[1]?.slice(6) ?? "null")).toHaveProperty("error.code", "server_error");
  });

  it("quirk:split-utf8: a multi-byte character arrives split across two reads, and the bytes still decode to the whole content", async () => {
    const r = await send({ fault: "quirk:split-utf8" });

    expect(r.headers["x-mock-fault"]).toBe("quirk:split-utf8");
    expect(r.outcome).toBe("end");
    // A read that ends inside a character: its last byte starts a multi-byte sequence (0b11xxxxxx),
    // or it ends on continuation bytes the next read completes.
    const splitAt = r.reads.findIndex((read, i) => {
      if (i === r.reads.length - 1) return false;
      const decoder = new TextDecoder("utf-8", { fatal: true });
      try {
        decoder.decode(read);
        return false;
      } catch {
        return true;
      }
    });
    expect(splitAt).toBeGreaterThanOrEqual(0);
    const joined = Buffer.concat([r.reads[splitAt] as Buffer, r.reads[splitAt + 1] as Buffer]);
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(joined)).not.toThrow();
    expect(new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(r.reads))).toBe(r.text);
    expect(contentOf(chunks(r.text))).toBe(CONTENT);
    expect(Buffer.byteLength(CONTENT)).toBeGreaterThan(CONTENT.length);
  });

  it("quirk:usage-chunk: the finish chunk has usage null, then a chunk with choices [] carries the usage, then [DONE]", async () => {
    const r = await send({ fault: "quirk:usage-chunk" });

    expect(r.headers["x-mock-fault"]).toBe("quirk:usage-chunk");
    const list = chunks(r.text);
    const finishIndex = list.findIndex((c) => (c.choices[0]?.finish_reason ?? null) !== null);
    expect(finishIndex).toBe(list.length - 2);
    expect(list[finishIndex]?.choices[0]?.finish_reason).toBe("stop");
    expect(list[finishIndex]?.usage).toBeNull();
    const usageChunk = list.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(typeof usageChunk?.usage?.prompt_tokens).toBe("number");
    expect(typeof usageChunk?.usage?.completion_tokens).toBe("number");
    expect(typeof usageChunk?.usage?.total_tokens).toBe("number");
    expect(typeof usageChunk?.usage?.cost).toBe("number");
    expect(dataValues(r.text).at(-1)).toBe("[DONE]");
    expect(contentOf(list)).toBe(CONTENT);
  });

  it("quirk:no-done: the finish chunk with usage, then a clean end with no [DONE]", async () => {
    const r = await send({ fault: "quirk:no-done" });

    expect(r.headers["x-mock-fault"]).toBe("quirk:no-done");
    expect(r.outcome).toBe("end");
    expect(dataValues(r.text)).not.toContain("[DONE]");
    const list = chunks(r.text);
    expect(list.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(typeof list.at(-1)?.usage?.completion_tokens).toBe("number");
    expect(contentOf(list)).toBe(CONTENT);
  });

  it("quirk:keepalive-flood: 20 ':' comment lines before every chunk, and the data is unchanged", async () => {
    const r = await send({ fault: "quirk:keepalive-flood" });

    expect(r.headers["x-mock-fault"]).toBe("quirk:keepalive-flood");
    const blocks = events(r.text);
    const comments = blocks.filter((lines) => lines[0]?.startsWith(":"));
    expect(comments.length).toBeGreaterThan(400);
    for (const lines of comments) expect(lines).toEqual([": OPENROUTER PROCESSING"]);
    // 20 comments before every JSON chunk; [DONE] follows the finish chunk directly.
    const kinds = blocks.map((lines) => (lines[0]?.startsWith(":") ? "c" : lines[0] === "data: [DONE]" ? "D" : "d")).join("");
    expect(kinds).toMatch(/^(c{20}d)+D$/);
    expect(contentOf(chunks(r.text))).toBe(CONTENT);
    expect(dataValues(r.text).at(-1)).toBe("[DONE]");
  });

  it("quirk:raw-error-line: after 1 chunk, a bare JSON error line with no data: prefix, then the end (no finish, no [DONE])", async () => {
    const r = await send({ fault: "quirk:raw-error-line" });

    expect(r.status).toBe(200);
    expect(r.headers["x-mock-fault"]).toBe("quirk:raw-error-line");
    expect(r.outcome).toBe("end");
    const lines = r.text.split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(2);
    expect(lines[0]?.startsWith("data: {")).toBe(true);
    expect(lines[1]?.startsWith("{")).toBe(true);
    const bare = JSON.parse(lines[1] ?? "") as { error?: { message?: unknown } };
    expect(typeof bare.error?.message).toBe("string");
    expect(dataValues(r.text)).not.toContain("[DONE]");
  });
});

describe("http:STATUS faults: the status before any stream, with the contract's JSON error body", () => {
  const statuses = [400, 401, 402, 403, 404, 408, 429, 500, 502, 503];
  for (const status of statuses) {
    it(`http:${status} answers ${status} with a JSON error envelope and the x-mock-fault header`, async () => {
      const r = await send({ fault: `http:${status}` });

      expect(r.status).toBe(status);
      expect(r.headers["content-type"]).toMatch(/^application\/json/);
      expect(r.headers["x-mock-fault"]).toBe(`http:${status}`);
      expect(r.headers["x-request-id"]).toBeTruthy();
      const body = JSON.parse(r.text) as { error: Record<string, unknown> };
      expect(typeof body.error.message).toBe("string");
      expect(body.error.code).toBeDefined();
      expect(typeof body.error.metadata).toBe("object");
      if (status === 429 || status === 503) expect(r.headers["retry-after"]).toMatch(/^\d+$/);
      if (status === 402) {
        expect(body.error.code).toBe("insufficient_credits");
        expect(typeof body.error.current_balance).toBe("number");
      }
    });
  }

  // ttfb joined to an http: fault was once ignored: the error answer went out at once.
  it("ttfb:300+http:503: the 503 headers arrive only after at least 240 ms", async () => {
    const r = await send({ fault: "ttfb:300+http:503" });

    expect(r.status).toBe(503);
    expect(r.headers["x-mock-fault"]).toBe("ttfb:300+http:503");
    expect(r.headersAt).toBeGreaterThanOrEqual(240);
  });

  it("http:400:context answers 400 with a 'maximum context length' message", async () => {
    const r = await send({ fault: "http:400:context" });

    expect(r.status).toBe(400);
    expect(r.headers["x-mock-fault"]).toBe("http:400:context");
    const body = JSON.parse(r.text) as { error: { message: string; code: unknown } };
    expect(body.error.message).toMatch(/maximum context length is \d+ tokens/);
    expect(body.error.code).toBe(400);
  });
});

describe("faults on a non-streamed (stream: false) answer", () => {
  it("error@N gives a 502 JSON error, malformed a 200 that is not JSON, truncate a 200 cut short, disconnect no response, quirks the normal JSON", async () => {
    const error = await send({ fault: "error@2", stream: false });
    expect(error.status).toBe(502);
    expect((JSON.parse(error.text) as { error: { message: string } }).error.message).toMatch(/Provider/);

    const malformed = await send({ fault: "malformed@1", stream: false });
    expect(malformed.status).toBe(200);
    expect(malformed.headers["content-type"]).toMatch(/^application\/json/);
    expect(() => JSON.parse(malformed.text)).toThrow();

    const truncated = await send({ fault: "truncate@1", stream: false });
    expect(truncated.status).toBe(200);
    expect(truncated.outcome).toBe("end");
    expect(() => JSON.parse(truncated.text)).toThrow();
    expect(truncated.text.startsWith('{"id":"gen-')).toBe(true);

    const dropped = await send({ fault: "disconnect@1", stream: false });
    expect(dropped.outcome).toBe("no-response");

    const quirky = await send({ fault: "quirk:crlf", stream: false });
    expect(quirky.status).toBe(200);
    const completion = JSON.parse(quirky.text) as { choices: Array<{ message: { content: string } }> };
    expect(completion.choices[0]?.message.content).toBe(CONTENT);
  });
});

describe("choosing the fault", () => {
  it("a bad x-mock-fault gets a 400 whose message and param name the header", async () => {
    for (const fault of ["explode", "quirk:teapot", "slow@2"]) {
      const r = await send({ fault });
      expect(r.status).toBe(400);
      const body = JSON.parse(r.text) as { error: { message: string; param?: string } };
      expect(body.error.message).toContain("x-mock-fault");
      expect(body.error.param).toBe("x-mock-fault");
    }
  });

  it("header beats scenario beats the server's fault option; `none` (header or scenario) disables a server-wide fault", async () => {
    const server = await startMockServer({ port: 0, latency: "none", chunk: "token:2", fault: "truncate@1", scenarios });
    try {
      const session = newSession();
      const serverWide = await send({ server, session });
      expect(serverWide.headers["x-mock-fault"]).toBe("truncate@1");
      expect(chunks(serverWide.text)).toHaveLength(1);

      const scenario = await send({ server, session, message: "case:scenario-fault" });
      expect(scenario.headers["x-mock-fault"]).toBe("error@2");
      expect(chunks(scenario.text).at(-1)?.error?.code).toBe("server_error");

      const header = await send({ server, session, message: "case:scenario-fault", fault: "quirk:no-done" });
      expect(header.headers["x-mock-fault"]).toBe("quirk:no-done");
      expect(contentOf(chunks(header.text))).toBe(CONTENT);
      expect(dataValues(header.text)).not.toContain("[DONE]");

      const headerNone = await send({ server, session, fault: "none" });
      expect(headerNone.headers["x-mock-fault"]).toBeUndefined();
      expect(contentOf(chunks(headerNone.text))).toBe(CONTENT);
      expect(dataValues(headerNone.text).at(-1)).toBe("[DONE]");

      const scenarioNone = await send({ server, session, message: "case:scenario-calm" });
      expect(scenarioNone.headers["x-mock-fault"]).toBeUndefined();
      expect(dataValues(scenarioNone.text).at(-1)).toBe("[DONE]");

      await vi.waitFor(() => expect(journal(session, server)).toHaveLength(5));
      expect(journal(session, server).map((e) => e.fault)).toEqual(["truncate@1", "error@2", "quirk:no-done", null, null]);
      expect(journal(session, server).map((e) => e.source)).toEqual([
        "scenario:chaos",
        "scenario:scenario-fault",
        "scenario:scenario-fault",
        "scenario:chaos",
        "scenario:scenario-calm",
      ]);
    } finally {
      await server.close();
    }
  });

  it("faultRate: 1 with faults [http:503] faults every request", async () => {
    const server = await startMockServer({ port: 0, latency: "none", faultRate: 1, faults: ["http:503"], scenarios });
    try {
      const session = newSession();
      for (let i = 0; i < 10; i++) {
        const r = await send({ server, session, message: `case:rate-one ${i}` });
        expect(r.status).toBe(503);
        expect(r.headers["x-mock-fault"]).toBe("http:503");
      }
      await vi.waitFor(() => expect(journal(session, server)).toHaveLength(10));
      expect(journal(session, server).every((e) => e.fault === "http:503" && e.status === 503)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("faultRate: 0.5 over 40 requests faults the same requests on two servers with the same seed, sent in order or all at once", async () => {
    const options = {
      port: 0,
      latency: "none",
      chunk: "token:2",
      seed: 4242,
      faultRate: 0.5,
      faults: ["http:503", "truncate@1"],
      scenarios,
    } as const;
    const a = await startMockServer(options);
    const b = await startMockServer(options);
    try {
      const messages = Array.from({ length: 40 }, (_, i) => `case:draw number ${i}`);
      const session = newSession();
      for (const message of messages) await send({ server: a, session, message });
      await Promise.all(messages.map((message) => send({ server: b, session, message })));
      const faultsBy = (server: MockServer) => {
        const byMessage = new Map<string, string | null>();
        for (const e of journal(session, server)) {
          const body = e.request.body as { messages: Array<{ content: string }> };
          byMessage.set(body.messages[0]?.content ?? "", e.fault);
        }
        return messages.map((m) => byMessage.get(m));
      };
      await vi.waitFor(() => {
        expect(journal(session, a)).toHaveLength(40);
        expect(journal(session, b)).toHaveLength(40);
      });
      const drawnA = faultsBy(a);
      expect(faultsBy(b)).toEqual(drawnA);
      const faulted = drawnA.filter((f) => f !== null).length;
      expect(faulted).toBeGreaterThan(5);
      expect(faulted).toBeLessThan(35);
      expect(new Set(drawnA)).toEqual(new Set([null, "http:503", "truncate@1"]));
      expect(journal(session, a).every((e) => e.seed === "4242")).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a repeated identical request draws again on each attempt, so a retry loop eventually succeeds; a new session starts the draws over", async () => {
    const server = await startMockServer({ port: 0, latency: "none", seed: 99, faultRate: 0.5, faults: ["http:503"], scenarios });
    try {
      // Find a request whose first attempt is faulted (each probe in its own session).
      let message = "";
      for (let i = 0; i < 30 && message === ""; i++) {
        const probe = await send({ server, message: `case:retry-draw ${i}` });
        if (probe.status === 503) message = `case:retry-draw ${i}`;
      }
      expect(message).not.toBe("");

      const attempts = async (session: string) => {
        const statuses: number[] = [];
        for (let i = 0; i < 20 && statuses.at(-1) !== 200; i++) statuses.push((await send({ server, session, message })).status);
        return statuses;
      };
      const first = await attempts(newSession());
      expect(first[0]).toBe(503);
      expect(first.at(-1)).toBe(200);
      expect(first.every((s) => s === 503 || s === 200)).toBe(true);
      expect(await attempts(newSession())).toEqual(first);
    } finally {
      await server.close();
    }
  });
});

describe("limits per x-mock-session", () => {
  it('rateLimit "rpm=2": the third request gets 429 with an integer retry-after from 1 to 60 and x-ratelimit-* headers; another session is not limited', async () => {
    const server = await startMockServer({ port: 0, latency: "none", rateLimit: "rpm=2", scenarios });
    try {
      const session = newSession();
      const first = await send({ server, session });
      const second = await send({ server, session });
      const third = await send({ server, session });
      expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
      expect(first.headers["x-ratelimit-remaining-requests"]).toBe("1");
      expect(second.headers["x-ratelimit-remaining-requests"]).toBe("0");

      const retryAfter = third.headers["retry-after"] ?? "";
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      expect(third.headers["x-ratelimit-limit-requests"]).toBe("2");
      expect(third.headers["x-ratelimit-remaining-requests"]).toBe("0");
      const body = JSON.parse(third.text) as { error: { code: unknown; message: string } };
      expect(body.error.code).toBe(429);
      expect(body.error.message).toMatch(/rate limit/i);

      const other = await send({ server, session: newSession() });
      expect(other.status).toBe(200);
      expect(other.headers["x-ratelimit-remaining-requests"]).toBe("1");

      // POST /_mock/reset gives the session a fresh window.
      expect((await fetch(`${server.origin}/_mock/reset`, { method: "POST" })).status).toBe(200);
      expect((await send({ server, session })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("budget 0.00001: after the first answer, 402 with code insufficient_credits and a numeric current_balance <= 0; another session still has its budget", async () => {
    const server = await startMockServer({ port: 0, latency: "none", budget: 0.00001, scenarios });
    try {
      const session = newSession();
      const first = await send({ server, session });
      expect(first.status).toBe(200);
      expect(contentOf(chunks(first.text))).toBe(CONTENT);

      const second = await send({ server, session });
      expect(second.status).toBe(402);
      const body = JSON.parse(second.text) as { error: { code: unknown; current_balance: unknown; message: string } };
      expect(body.error.code).toBe("insufficient_credits");
      expect(typeof body.error.current_balance).toBe("number");
      expect(body.error.current_balance as number).toBeLessThanOrEqual(0);
      expect(body.error.message).toMatch(/credits/i);

      expect((await send({ server, session: newSession() })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe("control routes", () => {
  it("POST /_mock/reset restarts sequences", async () => {
    const session = newSession();
    const replies: string[] = [];
    const ask = async () => replies.push(contentOf(chunks((await send({ session, message: "case:steps" })).text)));
    await ask();
    await ask();
    await ask();
    const reset = await fetch(`${mock.origin}/_mock/reset`, { method: "POST" });
    expect(reset.status).toBe(200);
    await ask();
    expect(replies).toEqual(["first", "second", "second", "first"]);
  });

  it("the journal (GET /_mock/requests) records fault, seed and source for each request", async () => {
    const session = newSession();
    await send({ session, fault: "error@2" });
    await send({ session, fault: "http:429" });
    await send({ session });
    await vi.waitFor(() => expect(journal(session)).toHaveLength(3));
    const response = await fetch(`${mock.origin}/_mock/requests?session=${encodeURIComponent(session)}`);
    const { requests } = (await response.json()) as { requests: JournalEntry[] };
    expect(requests.map((e) => [e.fault, e.status, e.source, e.seed])).toEqual([
      ["error@2", 200, "scenario:chaos", "0"],
      ["http:429", 429, "scenario:chaos", "0"],
      [null, 200, "scenario:chaos", "0"],
    ]);
  });
});

describe("after every fault above", () => {
  it("the server still answers a normal request in full", async () => {
    const r = await send();

    expect(r.status).toBe(200);
    expect(r.outcome).toBe("end");
    expect(contentOf(chunks(r.text))).toBe(CONTENT);
    expect(dataValues(r.text).at(-1)).toBe("[DONE]");
  });
});
