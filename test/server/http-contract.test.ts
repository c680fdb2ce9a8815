/**
 * The HTTP contract of POST /api/v1/chat/completions (contract.md sections 2 to 5, 7, 8) and the
 * routes around it (SPEC.md section 2), checked through supertest on createApp().
 */
import { readFileSync } from "node:fs";
import type { Express } from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { createApp, type ScenarioInput } from "../../src/index.js";

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------------------------

const MODEL = "anthropic/claude-sonnet-4-6";
const AUTH = "Bearer test-key";
const CHAT = "/api/v1/chat/completions";

const LONG_TEXT =
  "The quick brown fox jumps over the lazy dog. It then runs far away into the deep green forest, " +
  "where it meets an old owl who tells it a long story about the river, the mountains and the stars.";
const REASONING_TEXT = "First I consider the question. Then I weigh the options carefully before answering.";
const REASONED_ANSWER = "The answer is forty-two, after careful thought.";

const WEATHER_ARGS = { city: "Paris", unit: "celsius", note: 'a "quoted" value, with commas' };
const TIME_ARGS = { zone: "Europe/Paris", format: { hours: 24 } };

const SCENARIOS: ScenarioInput[] = [
  {
    name: "two-tools",
    match: { lastUserMessage: "two tools" },
    reply: {
      toolCalls: [
        { name: "get_weather", arguments: WEATHER_ARGS },
        { name: "get_time", arguments: TIME_ARGS },
      ],
    },
  },
  { name: "think", match: { lastUserMessage: "think" }, reply: { reasoning: REASONING_TEXT, content: REASONED_ANSWER } },
  { name: "limited", match: { lastUserMessage: "rate limit me" }, reply: { status: 429 } },
  { name: "counter", match: { lastUserMessage: "count" }, sequence: [{ reply: { content: "one" } }, { reply: { content: "two" } }] },
  { name: "echo", reply: { content: LONG_TEXT } },
];

const app = createApp({ latency: "none", scenarios: SCENARIOS });

function freshApp(extra: Parameters<typeof createApp>[0] = {}): Express {
  return createApp({ latency: "none", scenarios: SCENARIOS, ...extra });
}

function body(text = "Hello there", extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: MODEL, messages: [{ role: "user", content: text }], ...extra };
}

/** A superagent parser that keeps the raw response text, whatever the content type. */
function rawText(res: unknown, callback: (err: Error | null, body: unknown) => void): void {
  const stream = res as NodeJS.ReadableStream;
  let data = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    data += chunk;
  });
  stream.on("end", () => callback(null, data));
}

function post(target: Express, payload: unknown, headers: Record<string, string> = {}) {
  return request(target)
    .post(CHAT)
    .set("Authorization", AUTH)
    .set(headers)
    .send(payload as object);
}

async function postRaw(target: Express, payload: unknown, headers: Record<string, string> = {}) {
  const res = await post(target, payload, headers).buffer(true).parse(rawText);
  return { res, text: res.body as string };
}

interface ToolCallDelta {
  index: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

interface Delta {
  role?: string | null;
  content?: string | null;
  reasoning?: string | null;
  reasoning_details?: unknown[];
  tool_calls?: ToolCallDelta[];
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
  cost: number;
}

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: { index: number; delta: Delta; finish_reason: string | null; logprobs?: unknown }[];
  usage?: Usage | null;
}

interface Completion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    message: {
      role: string;
      content: string | null;
      refusal: null;
      reasoning?: string;
      reasoning_details?: unknown[];
      tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
    };
    logprobs: null;
    finish_reason: string;
  }[];
  usage: Usage;
}

/** The `data:` payloads of an SSE body, comments skipped. */
function ssePayloads(text: string): string[] {
  return text
    .split("\n\n")
    .filter((event) => event !== "")
    .flatMap((event) =>
      event
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice("data: ".length)),
    );
}

/** The JSON chunks of an SSE body (everything before `[DONE]`). */
function sseChunks(text: string): Chunk[] {
  return ssePayloads(text)
    .filter((p) => p !== "[DONE]")
    .map((p) => JSON.parse(p) as Chunk);
}

function deltas(chunks: Chunk[]): Delta[] {
  return chunks.map((c) => (c.choices[0] as Chunk["choices"][number]).delta);
}

function firstChoice(completion: Completion): Completion["choices"][number] {
  return completion.choices[0] as Completion["choices"][number];
}

function lastChunk(chunks: Chunk[]): Chunk {
  return chunks[chunks.length - 1] as Chunk;
}

function expectEnvelope(res: { status: number; headers: Record<string, string>; body: unknown }, status: number): { message: string } {
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  const envelope = res.body as { error: { code: unknown; message: unknown; metadata: unknown } };
  expect(envelope.error).toBeTypeOf("object");
  expect(envelope.error.code).toBe(status);
  expect(envelope.error.message).toBeTypeOf("string");
  expect(envelope.error.metadata).toBeTypeOf("object");
  expect(envelope.error.metadata).not.toBeNull();
  return envelope.error as { message: string };
}

interface CatalogueEntry {
  id: string;
  pricing: { input: number; output: number; cachedInput?: number };
}
const catalogue = (parseYaml(readFileSync(new URL("../../models.yaml", import.meta.url), "utf8")) as { models: CatalogueEntry[] }).models;

// ---------------------------------------------------------------------------------------------
// Streaming framing (contract.md 4.1 to 4.4, 7, 8)
// ---------------------------------------------------------------------------------------------

describe("streaming framing", () => {
  it("sends SSE headers, with no compression even when the client accepts gzip", async () => {
    const { res } = await postRaw(app, body("Hello", { stream: true }), { "Accept-Encoding": "gzip, deflate" });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["x-accel-buffering"]).toBe("no");
    expect(res.headers["x-request-id"]).toMatch(/\S/);
    expect(res.headers["content-encoding"]).toBeUndefined();
  });

  it("frames every event as one `data: <json>` line followed by a blank line, with no `event:` fields", async () => {
    const { text } = await postRaw(app, body("Hello", { stream: true }));
    expect(text.endsWith("\n\n")).toBe(true);
    const events = text.slice(0, -2).split("\n\n");
    expect(events.length).toBeGreaterThan(2);
    for (const event of events) {
      expect(event).toMatch(/^data: /);
      expect(event).not.toContain("\n");
      const payload = event.slice("data: ".length);
      if (payload !== "[DONE]") expect(() => JSON.parse(payload)).not.toThrow();
    }
    expect(text.split("\n").some((line) => line.startsWith("event:"))).toBe(false);
  });

  it("ends with `data: [DONE]` and nothing after it", async () => {
    const { text } = await postRaw(app, body("Hello", { stream: true }));
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(text.indexOf("[DONE]")).toBe(text.length - "[DONE]\n\n".length);
  });

  it("gives every chunk the same gen- id, object chat.completion.chunk, and `created` in integer seconds", async () => {
    const { text } = await postRaw(app, body("Hello", { stream: true }));
    const chunks = sseChunks(text);
    const id = chunks[0]?.id;
    expect(id).toMatch(/^gen-/);
    for (const chunk of chunks) {
      expect(chunk.id).toBe(id);
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(Number.isInteger(chunk.created)).toBe(true);
      // Seconds, not milliseconds: between 2001 and 2286.
      expect(chunk.created).toBeGreaterThan(1_000_000_000);
      expect(chunk.created).toBeLessThan(10_000_000_000);
      expect(Array.isArray(chunk.choices)).toBe(true);
      expect(chunk.choices[0]?.index).toBe(0);
    }
  });

  it("sends role assistant in the first delta and never a null role", async () => {
    const { text } = await postRaw(app, body("Hello", { stream: true }));
    const ds = deltas(sseChunks(text));
    expect(ds[0]?.role).toBe("assistant");
    for (const d of ds) expect(d.role === null).toBe(false);
  });

  it("has exactly one chunk with a finish_reason, the last one, carrying a complete usage object", async () => {
    const { text } = await postRaw(app, body("Hello", { stream: true }));
    const chunks = sseChunks(text);
    const finishing = chunks.filter((c) => c.choices[0]?.finish_reason !== null);
    expect(finishing).toHaveLength(1);
    const last = lastChunk(chunks);
    expect(finishing[0]).toBe(last);
    const usage = last.usage as Usage;
    expect(usage).toBeTypeOf("object");
    expect(usage.prompt_tokens).toBeTypeOf("number");
    expect(usage.completion_tokens).toBeTypeOf("number");
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.prompt_tokens_details.cached_tokens).toBeTypeOf("number");
    expect(usage.completion_tokens_details.reasoning_tokens).toBeTypeOf("number");
    expect(usage.cost).toBeTypeOf("number");
  });

  it("streams content that concatenates to the scenario's reply", async () => {
    const { text } = await postRaw(app, body("Hello", { stream: true }));
    const content = deltas(sseChunks(text))
      .map((d) => d.content ?? "")
      .join("");
    expect(content).toBe(LONG_TEXT);
  });
});

// ---------------------------------------------------------------------------------------------
// The `stream` default and the JSON answer (contract.md 2.4, 3)
// ---------------------------------------------------------------------------------------------

describe("stream default and non-streaming answers", () => {
  it("streams when `stream` is omitted", async () => {
    const { res, text } = await postRaw(app, body("Hello"));
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("answers JSON when `stream` is omitted and the server runs with streamDefault: false", async () => {
    const res = await post(freshApp({ streamDefault: false }), body("Hello"));
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect((res.body as Completion).object).toBe("chat.completion");
  });

  it("answers stream:false with an application/json chat.completion", async () => {
    const res = await post(app, body("Hello", { stream: false }));
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.headers["x-request-id"]).toMatch(/\S/);
    const completion = res.body as Completion;
    expect(completion.id).toMatch(/^gen-/);
    expect(completion.object).toBe("chat.completion");
    expect(Number.isInteger(completion.created)).toBe(true);
    expect(completion.model).toBe(MODEL);
    expect(completion.choices).toHaveLength(1);
    const choice = firstChoice(completion);
    expect(choice.index).toBe(0);
    expect(choice.message.role).toBe("assistant");
    expect(choice.message.content).toBe(LONG_TEXT);
    expect(choice.message.refusal).toBeNull();
    expect(choice.logprobs).toBeNull();
    expect(choice.finish_reason).toBe("stop");
    expect(completion.usage.total_tokens).toBe(completion.usage.prompt_tokens + completion.usage.completion_tokens);
  });

  it("answers stream:false with JSON even when the server's streamDefault is true", async () => {
    const res = await post(freshApp({ streamDefault: true }), body("Hello", { stream: false }));
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect((res.body as Completion).object).toBe("chat.completion");
  });
});

// ---------------------------------------------------------------------------------------------
// Routes: alias and models (contract.md 1, SPEC.md 2, contract.md 7)
// ---------------------------------------------------------------------------------------------

describe("routes and model catalogue", () => {
  it("serves the /v1/chat/completions alias", async () => {
    const res = await request(app)
      .post("/v1/chat/completions")
      .set("Authorization", AUTH)
      .send(body("Hello", { stream: false }));
    expect(res.status).toBe(200);
    expect((res.body as Completion).object).toBe("chat.completion");
  });

  it.each(["/api/v1/models", "/v1/models"])(
    "GET %s lists at least 10 provider/model ids with numeric-string per-token prices",
    async (path) => {
      const res = await request(app).get(path);
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      const data = (res.body as { data: { id: string; pricing: { prompt: unknown; completion: unknown } }[] }).data;
      expect(data.length).toBeGreaterThanOrEqual(10);
      for (const model of data) {
        expect(model.id).toMatch(/^[^/\s]+\/\S+$/);
        expect(model.pricing.prompt).toBeTypeOf("string");
        expect(model.pricing.completion).toBeTypeOf("string");
        expect(Number.isFinite(Number(model.pricing.prompt))).toBe(true);
        expect(Number.isFinite(Number(model.pricing.completion))).toBe(true);
        const entry = catalogue.find((m) => m.id === model.id);
        expect(entry).toBeDefined();
        // Per token: the catalogue's per-million price divided by a million.
        expect(Math.abs(Number(model.pricing.prompt) - (entry as CatalogueEntry).pricing.input / 1e6)).toBeLessThan(1e-15);
        expect(Math.abs(Number(model.pricing.completion) - (entry as CatalogueEntry).pricing.output / 1e6)).toBeLessThan(1e-15);
      }
    },
  );

  it("computes usage.cost from the catalogue's prices", async () => {
    const entry = catalogue.find((m) => m.id === MODEL) as CatalogueEntry;
    expect(entry).toBeDefined();
    const res = await post(app, body("Hello", { stream: false }));
    const usage = (res.body as Completion).usage;
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.prompt_tokens_details.cached_tokens).toBe(0);
    const expected = (usage.prompt_tokens * entry.pricing.input) / 1e6 + (usage.completion_tokens * entry.pricing.output) / 1e6;
    expect(Math.abs(usage.cost - expected)).toBeLessThanOrEqual(1e-9);
  });

  it("computes the same cost on the streamed finish chunk", async () => {
    const entry = catalogue.find((m) => m.id === MODEL) as CatalogueEntry;
    const { text } = await postRaw(app, body("Hello", { stream: true }));
    const usage = lastChunk(sseChunks(text)).usage as Usage;
    const expected = (usage.prompt_tokens * entry.pricing.input) / 1e6 + (usage.completion_tokens * entry.pricing.output) / 1e6;
    expect(Math.abs(usage.cost - expected)).toBeLessThanOrEqual(1e-9);
  });
});

// ---------------------------------------------------------------------------------------------
// Tool calls (contract.md 4.5, 3)
// ---------------------------------------------------------------------------------------------

describe("tool calls", () => {
  const toolRequest = (stream: boolean) => body("please call two tools", { stream });

  it("opens each streamed call with index, id, type function, the name and empty arguments", async () => {
    const { text } = await postRaw(app, toolRequest(true));
    const calls = deltas(sseChunks(text)).flatMap((d) => d.tool_calls ?? []);
    for (const index of [0, 1]) {
      const first = calls.find((c) => c.index === index) as ToolCallDelta;
      expect(first).toBeDefined();
      expect(first.id).toMatch(/\S/);
      expect(first.type).toBe("function");
      expect(first.function?.name).toBe(index === 0 ? "get_weather" : "get_time");
      expect(first.function?.arguments).toBe("");
    }
  });

  it("keeps the function wrapper with only arguments on later deltas, and the fragments form valid JSON", async () => {
    const { text } = await postRaw(app, toolRequest(true));
    const calls = deltas(sseChunks(text)).flatMap((d) => d.tool_calls ?? []);
    for (const [index, expected] of [
      [0, WEATHER_ARGS],
      [1, TIME_ARGS],
    ] as const) {
      const mine = calls.filter((c) => c.index === index);
      const later = mine.slice(1);
      expect(later.length).toBeGreaterThan(0);
      for (const delta of later) {
        expect(delta.function).toBeTypeOf("object");
        expect(Object.keys(delta.function ?? {})).toEqual(["arguments"]);
        expect(delta.function?.arguments).toBeTypeOf("string");
      }
      const joined = mine.map((c) => c.function?.arguments ?? "").join("");
      expect(JSON.parse(joined)).toEqual(expected);
    }
  });

  it("streams two calls one after another, index 0 then index 1", async () => {
    const { text } = await postRaw(app, toolRequest(true));
    const indexes = deltas(sseChunks(text)).flatMap((d) => (d.tool_calls ?? []).map((c) => c.index));
    const firstOne = indexes.indexOf(1);
    expect(indexes[0]).toBe(0);
    expect(firstOne).toBeGreaterThan(0);
    expect(indexes.slice(0, firstOne).every((i) => i === 0)).toBe(true);
    expect(indexes.slice(firstOne).every((i) => i === 1)).toBe(true);
  });

  it("finishes a tool-call stream with finish_reason tool_calls", async () => {
    const { text } = await postRaw(app, toolRequest(true));
    expect(lastChunk(sseChunks(text)).choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("answers non-stream tool calls with type function, string arguments and null content", async () => {
    const res = await post(app, toolRequest(false));
    const choice = firstChoice(res.body as Completion);
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const calls = choice.message.tool_calls ?? [];
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.id).toMatch(/\S/);
      expect(call.type).toBe("function");
      expect(call.function.arguments).toBeTypeOf("string");
    }
    expect(calls.map((c) => c.function.name)).toEqual(["get_weather", "get_time"]);
    expect(JSON.parse(calls[0]?.function.arguments ?? "")).toEqual(WEATHER_ARGS);
    expect(JSON.parse(calls[1]?.function.arguments ?? "")).toEqual(TIME_ARGS);
  });
});

// ---------------------------------------------------------------------------------------------
// Reasoning (contract.md 6, 4.6)
// ---------------------------------------------------------------------------------------------

describe("reasoning", () => {
  it("streams reasoning with both `reasoning` and `reasoning_details`, all before the first non-empty content", async () => {
    const { text } = await postRaw(app, body("think about it", { stream: true }));
    const ds = deltas(sseChunks(text));
    const withReasoning = ds.map((d, i) => ({ d, i })).filter(({ d }) => "reasoning" in d || "reasoning_details" in d);
    expect(withReasoning.length).toBeGreaterThan(0);
    for (const { d } of withReasoning) {
      expect("reasoning" in d).toBe(true);
      expect(Array.isArray(d.reasoning_details)).toBe(true);
    }
    const firstContent = ds.findIndex((d) => typeof d.content === "string" && d.content !== "");
    expect(firstContent).toBeGreaterThan(0);
    for (const { i } of withReasoning) expect(i).toBeLessThan(firstContent);
    expect(withReasoning.map(({ d }) => d.reasoning ?? "").join("")).toBe(REASONING_TEXT);
    expect(ds.map((d) => d.content ?? "").join("")).toBe(REASONED_ANSWER);
  });

  it("counts reasoning tokens in the streamed usage", async () => {
    const { text } = await postRaw(app, body("think about it", { stream: true }));
    const usage = lastChunk(sseChunks(text)).usage as Usage;
    expect(usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeGreaterThan(usage.completion_tokens_details.reasoning_tokens);
  });

  it("puts reasoning and reasoning_details on the non-stream message", async () => {
    const res = await post(app, body("think about it", { stream: false }));
    const message = firstChoice(res.body as Completion).message;
    expect(message.reasoning).toBe(REASONING_TEXT);
    expect(Array.isArray(message.reasoning_details)).toBe(true);
    expect(message.reasoning_details?.length).toBeGreaterThan(0);
    expect(message.content).toBe(REASONED_ANSWER);
  });

  it("omits reasoning fields from the stream with reasoning.exclude but still counts reasoning_tokens", async () => {
    const { text } = await postRaw(app, body("think about it", { stream: true, reasoning: { exclude: true } }));
    const chunks = sseChunks(text);
    for (const d of deltas(chunks)) {
      expect(d).not.toHaveProperty("reasoning");
      expect(d).not.toHaveProperty("reasoning_details");
    }
    expect(
      deltas(chunks)
        .map((d) => d.content ?? "")
        .join(""),
    ).toBe(REASONED_ANSWER);
    expect((lastChunk(chunks).usage as Usage).completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
  });

  it("omits reasoning fields from the JSON message with reasoning.exclude but still counts reasoning_tokens", async () => {
    const res = await post(app, body("think about it", { stream: false, reasoning: { exclude: true } }));
    const completion = res.body as Completion;
    const message = firstChoice(completion).message;
    expect(message).not.toHaveProperty("reasoning");
    expect(message).not.toHaveProperty("reasoning_details");
    expect(completion.usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// finish_reason (contract.md 3, 4.2)
// ---------------------------------------------------------------------------------------------

describe("finish_reason", () => {
  it("is stop for a plain text answer", async () => {
    const { text } = await postRaw(app, body("Hello", { stream: true }));
    expect(lastChunk(sseChunks(text)).choices[0]?.finish_reason).toBe("stop");
  });

  it("is tool_calls for a tool-call answer", async () => {
    const res = await post(app, body("two tools please", { stream: false }));
    expect(firstChoice(res.body as Completion).finish_reason).toBe("tool_calls");
  });

  it("is length when max_tokens cuts a streamed answer, with completion_tokens within max_tokens", async () => {
    const { text } = await postRaw(app, body("Hello", { stream: true, max_tokens: 5 }));
    const chunks = sseChunks(text);
    const last = lastChunk(chunks);
    expect(last.choices[0]?.finish_reason).toBe("length");
    expect((last.usage as Usage).completion_tokens).toBeLessThanOrEqual(5);
    const content = deltas(chunks)
      .map((d) => d.content ?? "")
      .join("");
    expect(content.length).toBeLessThan(LONG_TEXT.length);
    expect(LONG_TEXT.startsWith(content)).toBe(true);
  });

  it("is length when max_completion_tokens cuts a JSON answer, with completion_tokens within the limit", async () => {
    const res = await post(app, body("Hello", { stream: false, max_completion_tokens: 7 }));
    const completion = res.body as Completion;
    const choice = firstChoice(completion);
    expect(choice.finish_reason).toBe("length");
    expect(completion.usage.completion_tokens).toBeLessThanOrEqual(7);
    expect((choice.message.content ?? "").length).toBeLessThan(LONG_TEXT.length);
  });
});

// ---------------------------------------------------------------------------------------------
// Validation (contract.md 2.5, 5.1)
// ---------------------------------------------------------------------------------------------

describe("request validation", () => {
  const user = [{ role: "user", content: "Hello" }];

  it.each([
    ["model is missing", { messages: user }, "model"],
    ["messages is missing", { model: MODEL }, "messages"],
    ["model is a number", { model: 42, messages: user }, "model"],
    ["messages is not an array", { model: MODEL, messages: "Hello" }, "messages"],
    ["temperature is 2.5", { model: MODEL, messages: user, temperature: 2.5 }, "temperature"],
    ["temperature is -1", { model: MODEL, messages: user, temperature: -1 }, "temperature"],
    ["n is 2", { model: MODEL, messages: user, n: 2 }, "`n`"],
    ["a message has role bot", { model: MODEL, messages: [{ role: "bot", content: "Hello" }] }, "role"],
  ])("answers 400 in the error envelope naming the field when %s", async (_name, payload, field) => {
    const res = await post(app, payload);
    const error = expectEnvelope(res, 400);
    expect(error.message).toContain(field);
  });

  it("answers 400 saying the JSON is malformed for a body that does not parse", async () => {
    const res = await request(app).post(CHAT).set("Authorization", AUTH).set("Content-Type", "application/json").send('{"model": "a/b", ');
    const error = expectEnvelope(res, 400);
    expect(error.message).toMatch(/malformed JSON/i);
  });

  it("answers 400 for a body that is a JSON array", async () => {
    const res = await request(app)
      .post(CHAT)
      .set("Authorization", AUTH)
      .set("Content-Type", "application/json")
      .send(JSON.stringify([body("Hello")]));
    const error = expectEnvelope(res, 400);
    expect(error.message).toMatch(/object/i);
  });

  it.each([
    ["unknown top-level fields", { frobnicate: true, x_custom: { deep: [1, 2] }, user: "u-1", metadata: { a: "b" } }],
    [
      "null for optional fields",
      {
        max_tokens: null,
        max_completion_tokens: null,
        temperature: null,
        top_p: null,
        tools: null,
        tool_choice: null,
        stop: null,
        seed: null,
        n: null,
        frequency_penalty: null,
        presence_penalty: null,
        response_format: null,
        stream_options: null,
        reasoning: null,
        include_reasoning: null,
      },
    ],
    ["stream_options", { stream_options: { include_usage: true } }],
    ["include_reasoning", { include_reasoning: true }],
    [
      "OpenRouter provider and reasoning objects",
      { provider: { order: ["anthropic"], allow_fallbacks: false, sort: "price" }, reasoning: { effort: "high", max_tokens: 200 } },
    ],
    ["top-level cache_control", { cache_control: { type: "ephemeral" } }],
  ])("accepts %s", async (_name, extra) => {
    const res = await post(app, { ...body("Hello"), stream: false, ...extra });
    expect(res.status).toBe(200);
    expect((res.body as Completion).object).toBe("chat.completion");
  });

  it("accepts content-part arrays with cache_control and image_url parts", async () => {
    const res = await post(app, {
      model: MODEL,
      stream: false,
      messages: [
        { role: "system", content: [{ type: "text", text: "You are helpful.", cache_control: { type: "ephemeral" } }] },
        {
          role: "user",
          content: [
            { type: "text", text: "What is in this image?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
  });

  it("accepts an assistant message with null content and tool_calls, followed by a tool message", async () => {
    const res = await post(app, {
      model: MODEL,
      stream: false,
      tools: [
        { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
      ],
      messages: [
        { role: "user", content: "Weather in Paris?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
        },
        { role: "tool", tool_call_id: "call_1", name: "get_weather", content: "18 C and sunny" },
      ],
    });
    expect(res.status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Auth, body size, unknown routes (contract.md 2.1, 5.1, 8)
// ---------------------------------------------------------------------------------------------

describe("auth and other pre-stream errors", () => {
  it("answers 401 Invalid API key without an Authorization header", async () => {
    const res = await request(app).post(CHAT).send(body("Hello"));
    const error = expectEnvelope(res, 401);
    expect(error.message).toContain("Invalid API key");
  });

  it("answers 401 for a Bearer header with an empty key", async () => {
    const res = await request(app).post(CHAT).set("Authorization", "Bearer ").send(body("Hello"));
    const error = expectEnvelope(res, 401);
    expect(error.message).toContain("Invalid API key");
  });

  it("with apiKey set, refuses another key with 401 and accepts the configured one", async () => {
    const locked = freshApp({ apiKey: "k1" });
    const wrong = await request(locked)
      .post(CHAT)
      .set("Authorization", "Bearer k2")
      .send(body("Hello", { stream: false }));
    expect(expectEnvelope(wrong, 401).message).toContain("Invalid API key");
    const right = await request(locked)
      .post(CHAT)
      .set("Authorization", "Bearer k1")
      .send(body("Hello", { stream: false }));
    expect(right.status).toBe(200);
  });

  it("answers 413 in the error envelope for a body above maxBodyBytes", async () => {
    const small = freshApp({ maxBodyBytes: 1000 });
    const res = await post(small, body("x".repeat(2000), { stream: false }));
    expectEnvelope(res, 413);
  });

  it("answers 404 in the JSON error envelope for an unknown route", async () => {
    const res = await request(app).get("/api/v1/nothing-here");
    expectEnvelope(res, 404);
  });

  const errorCases: [string, () => request.Test][] = [
    ["401 (no key)", () => request(app).post(CHAT).send(body("Hello"))],
    ["400 (validation)", () => post(app, { model: MODEL })],
    ["400 (malformed JSON)", () => request(app).post(CHAT).set("Authorization", AUTH).set("Content-Type", "application/json").send("{")],
    ["404 (unknown route)", () => request(app).get("/api/v1/nothing-here")],
    ["413 (body too large)", () => post(freshApp({ maxBodyBytes: 1000 }), body("x".repeat(2000)))],
    ["429 (scenario status)", () => post(app, body("rate limit me"))],
  ];

  it.each(errorCases)("sends content-type application/json on a %s error", async (_name, send) => {
    const res = await send();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
  });

  // contract.md section 8: x-request-id is sent "always"; section 12.F shows it on a 401.
  it.each(errorCases)("sends x-request-id on a %s error", async (_name, send) => {
    const res = await send();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers["x-request-id"]).toMatch(/\S/);
  });
});

// ---------------------------------------------------------------------------------------------
// Control routes (SPEC.md 2)
// ---------------------------------------------------------------------------------------------

describe("control routes", () => {
  it("GET /_mock/health answers {ok: true, version, mode}", async () => {
    const res = await request(app).get("/_mock/health");
    expect(res.status).toBe(200);
    const health = res.body as { ok: unknown; version: unknown; mode: unknown };
    expect(health.ok).toBe(true);
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(health.version).toBe(pkg.version);
    expect(["replay", "record", "auto", "spy", "passthrough"]).toContain(health.mode);
  });

  it("GET /_mock/requests lists requests with source, status and seed, and never the bearer token", async () => {
    const fresh = freshApp({ seed: 7 });
    const secret = "sk-very-secret-token-1234567890";
    await request(fresh)
      .post(CHAT)
      .set("Authorization", `Bearer ${secret}`)
      .send(body("Hello", { stream: false }));
    await request(fresh)
      .post(CHAT)
      .send(body("Hello", { stream: false })); // 401
    const res = await request(fresh).get("/_mock/requests");
    expect(res.status).toBe(200);
    const entries = (res.body as { requests: { source: unknown; status: unknown; seed: unknown; path: unknown }[] }).requests;
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ source: "scenario:echo", status: 200, seed: "7", path: CHAT });
    expect(entries[1]).toMatchObject({ status: 401 });
    expect(res.text).not.toContain(secret);
  });

  it("DELETE /_mock/requests clears the journal", async () => {
    const fresh = freshApp();
    await post(fresh, body("Hello", { stream: false }));
    const before = await request(fresh).get("/_mock/requests");
    expect((before.body as { requests: unknown[] }).requests).toHaveLength(1);
    const cleared = await request(fresh).delete("/_mock/requests");
    expect(cleared.status).toBe(200);
    const after = await request(fresh).get("/_mock/requests");
    expect((after.body as { requests: unknown[] }).requests).toHaveLength(0);
  });

  it("POST /_mock/reset restarts sequences", async () => {
    const fresh = freshApp();
    const content = async () => firstChoice((await post(fresh, body("count", { stream: false }))).body as Completion).message.content;
    expect(await content()).toBe("one");
    expect(await content()).toBe("two");
    expect(await content()).toBe("two");
    const reset = await request(fresh).post("/_mock/reset");
    expect(reset.status).toBe(200);
    expect(await content()).toBe("one");
  });
});

// ---------------------------------------------------------------------------------------------
// Determinism (SPEC.md 6)
// ---------------------------------------------------------------------------------------------

describe("determinism", () => {
  it("gives byte-identical streamed bodies for the same request", async () => {
    const payload = body("think about it", { stream: true });
    const first = await postRaw(app, payload);
    const second = await postRaw(freshApp(), payload);
    expect(first.text.length).toBeGreaterThan(0);
    expect(second.text).toBe(first.text);
  });

  it("gives byte-identical JSON bodies for the same request", async () => {
    const payload = body("two tools", { stream: false });
    const first = await postRaw(app, payload);
    const second = await postRaw(freshApp(), payload);
    expect(first.text.length).toBeGreaterThan(0);
    expect(second.text).toBe(first.text);
  });

  it("changes the id with a different x-mock-seed", async () => {
    const payload = body("Hello", { stream: false });
    const a = await post(app, payload, { "x-mock-seed": "1" });
    const a2 = await post(app, payload, { "x-mock-seed": "1" });
    const b = await post(app, payload, { "x-mock-seed": "2" });
    expect((a.body as Completion).id).toBe((a2.body as Completion).id);
    expect((b.body as Completion).id).not.toBe((a.body as Completion).id);
  });
});
