/**
 * The official `openai` npm SDK (v6, as Cline-legacy uses it) against every fault and quirk of
 * SPEC.md section 5: what the client observes (exception class, `.status`, what was yielded
 * before the failure) and how many requests its retries send (contract.md sections 5 and 9).
 */
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type JournalEntry, type MockServer, startMockServer } from "../../src/index.js";
import { CHAOS_CONTENT as CONTENT, MODEL, RECOVERED, chaosScenarios as scenarios } from "./fixtures.js";

let mock: MockServer;
let sessionCounter = 0;
const newSession = () => `openai-${++sessionCounter}-${Date.now()}`;

/** A client with no retries and no SDK logging (malformed chunks make it log the bad line). */
const clientFor = (options: { maxRetries?: number; timeout?: number } = {}) =>
  new OpenAI({ apiKey: "test-key", baseURL: mock.url, maxRetries: options.maxRetries ?? 0, timeout: options.timeout, logLevel: "off" });

const journal = (session: string): JournalEntry[] => mock.requests().filter((e) => e.session === session);

beforeAll(async () => {
  mock = await startMockServer({ port: 0, latency: "none", scenarios });
});

afterAll(async () => {
  await mock?.close();
});

interface Run {
  chunks: ChatCompletionChunk[];
  text: string;
  /** Thrown by `create()`, before any chunk. */
  createError: unknown;
  /** Thrown while iterating, after `chunks` were yielded. */
  iterationError: unknown;
  ms: number;
}

/** Streams one request with `fault` in x-mock-fault (none: no header) and collects what the SDK yields and throws. */
async function run(
  fault: string | undefined,
  options: { client?: OpenAI; session?: string; message?: string; abortAfterMs?: number } = {},
): Promise<Run> {
  const client = options.client ?? clientFor();
  const result: Run = { chunks: [], text: "", createError: undefined, iterationError: undefined, ms: 0 };
  const started = performance.now();
  let stream: Awaited<ReturnType<typeof startStream>>;
  function startStream() {
    return client.chat.completions.create(
      { model: MODEL, messages: [{ role: "user", content: options.message ?? "case:chaos" }], stream: true },
      { headers: { ...(fault === undefined ? {} : { "x-mock-fault": fault }), "x-mock-session": options.session ?? newSession() } },
    );
  }
  try {
    stream = await startStream();
  } catch (error) {
    result.createError = error;
    result.ms = performance.now() - started;
    return result;
  }
  const timer = options.abortAfterMs === undefined ? undefined : setTimeout(() => stream.controller.abort(), options.abortAfterMs);
  try {
    for await (const chunk of stream) {
      result.chunks.push(chunk);
      result.text += chunk.choices[0]?.delta?.content ?? "";
    }
  } catch (error) {
    result.iterationError = error;
  } finally {
    clearTimeout(timer);
  }
  result.ms = performance.now() - started;
  return result;
}

const finishReasons = (r: Run) =>
  r.chunks.flatMap((c) => c.choices.flatMap((choice) => (choice.finish_reason ? [choice.finish_reason] : [])));

/** The run completed: the whole content, one `stop`, no error. */
function expectWhole(r: Run): void {
  expect(r.createError).toBeUndefined();
  expect(r.iterationError).toBeUndefined();
  expect(r.text).toBe(CONTENT);
  expect(finishReasons(r)).toEqual(["stop"]);
}

/** Some text arrived before the failure, and it is the start of the content. */
function expectPartial(r: Run): void {
  expect(r.text.length).toBeGreaterThan(0);
  expect(r.text.length).toBeLessThan(CONTENT.length);
  expect(CONTENT.startsWith(r.text)).toBe(true);
}

describe("openai SDK: http:STATUS faults throw from create(), before any chunk", () => {
  const cases: Array<[string, new (...args: never[]) => APIError, number]> = [
    ["http:401", AuthenticationError, 401],
    ["http:403", PermissionDeniedError, 403],
    ["http:404", NotFoundError, 404],
    ["http:429", RateLimitError, 429],
    ["http:500", InternalServerError, 500],
    ["http:502", InternalServerError, 502],
    ["http:503", InternalServerError, 503],
  ];
  for (const [fault, ErrorClass, status] of cases) {
    it(`${fault} raises ${ErrorClass.name} with status ${status}`, async () => {
      const r = await run(fault);

      expect(r.chunks).toEqual([]);
      expect(r.createError).toBeInstanceOf(ErrorClass);
      const error = r.createError as APIError;
      expect(error.status).toBe(status);
      expect(error.headers?.get("x-mock-fault")).toBe(fault);
      expect(typeof (error.error as { message?: unknown } | undefined)?.message).toBe("string");
    });
  }

  it("http:402 raises a plain APIError 402 with code insufficient_credits and a numeric error.current_balance", async () => {
    const r = await run("http:402");

    expect(r.createError).toBeInstanceOf(APIError);
    const error = r.createError as APIError;
    expect(error.constructor).toBe(APIError);
    expect(error.status).toBe(402);
    expect(error.code).toBe("insufficient_credits");
    expect(typeof (error.error as { current_balance?: unknown }).current_balance).toBe("number");
    expect(error.message).toMatch(/^402 Not enough credits available/);
  });

  it("http:400:context raises BadRequestError 400 whose message says 'maximum context length'", async () => {
    const r = await run("http:400:context");

    expect(r.createError).toBeInstanceOf(BadRequestError);
    const error = r.createError as BadRequestError;
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/maximum context length/);
  });

  it("http:408 raises a plain APIError (no subclass) with status 408", async () => {
    const r = await run("http:408");

    expect(r.createError).toBeInstanceOf(APIError);
    const error = r.createError as APIError;
    expect(error.constructor).toBe(APIError);
    expect(error.status).toBe(408);
  });
});

describe("openai SDK: mid-stream faults", () => {
  it("error@3 throws an APIError with status undefined and code server_error after yielding 3 chunks of partial text", async () => {
    const r = await run("error@3");

    expect(r.createError).toBeUndefined();
    expect(r.chunks).toHaveLength(3);
    expectPartial(r);
    expect(r.iterationError).toBeInstanceOf(APIError);
    const error = r.iterationError as APIError;
    expect(error.status).toBeUndefined();
    expect(error.code).toBe("server_error");
    expect(error.message).toBe("Provider disconnected unexpectedly");
    // The SDK throws on the chunk's top-level `error`, so user code never sees finish_reason "error".
    expect(finishReasons(r)).toEqual([]);
  });

  it("disconnect@3 throws a TypeError 'terminated' (undici; not an APIError, so never retried) mid-iteration after partial text", async () => {
    const r = await run("disconnect@3");

    expect(r.createError).toBeUndefined();
    expect(r.chunks).toHaveLength(3);
    expectPartial(r);
    expect(r.iterationError).toBeInstanceOf(TypeError);
    expect(r.iterationError).not.toBeInstanceOf(APIError);
    expect((r.iterationError as TypeError).message).toBe("terminated");
    expect(((r.iterationError as TypeError).cause as Error | undefined)?.message).toBe("other side closed");
    expect(finishReasons(r)).toEqual([]);
  });

  it("disconnect@0 (no response at all) raises APIConnectionError from create(), and the SDK retries it", async () => {
    const session = newSession();
    const r = await run("disconnect@0", { client: clientFor({ maxRetries: 1 }), session });

    expect(r.createError).toBeInstanceOf(APIConnectionError);
    expect(r.createError).not.toBeInstanceOf(APIConnectionTimeoutError);
    expect((r.createError as APIConnectionError).status).toBeUndefined();
    await vi.waitFor(() => expect(journal(session)).toHaveLength(2));
  });

  it("truncate@3 ends the iteration quietly after 3 chunks, with partial text and no finish_reason", async () => {
    const r = await run("truncate@3");

    expect(r.createError).toBeUndefined();
    expect(r.iterationError).toBeUndefined();
    expect(r.chunks).toHaveLength(3);
    expectPartial(r);
    expect(finishReasons(r)).toEqual([]);
  });

  it("stall@3 and stall@0 with timeout 1500: the SDK's timeout does not cover the body, so iteration is still waiting after 2 s; abort() ends it without an error", async () => {
    const client = clientFor({ timeout: 1500 });
    const [afterThree, afterNone] = await Promise.all([
      run("stall@3", { client, abortAfterMs: 2000 }),
      run("stall@0", { client, abortAfterMs: 2000 }),
    ]);

    for (const r of [afterThree, afterNone]) {
      expect(r.createError).toBeUndefined();
      expect(r.iterationError).toBeUndefined();
      expect(r.ms).toBeGreaterThanOrEqual(1900);
      expect(finishReasons(r)).toEqual([]);
    }
    expect(afterThree.chunks).toHaveLength(3);
    expectPartial(afterThree);
    expect(afterNone.chunks).toEqual([]);
  });

  it("ttfb:3000 with timeout 1500: no headers in time, so create() raises APIConnectionTimeoutError", async () => {
    const r = await run("ttfb:3000", { client: clientFor({ timeout: 1500 }) });

    expect(r.createError).toBeInstanceOf(APIConnectionTimeoutError);
    expect((r.createError as APIConnectionTimeoutError).message).toBe("Request timed out.");
    expect(r.ms).toBeGreaterThanOrEqual(1500 * 0.8);
  });

  it("ttfb:300+http:503 raises InternalServerError 503 from create(), after the delay", async () => {
    const r = await run("ttfb:300+http:503");

    expect(r.createError).toBeInstanceOf(InternalServerError);
    expect((r.createError as InternalServerError).status).toBe(503);
    expect(r.ms).toBeGreaterThanOrEqual(300 * 0.8);
  });

  it("stall@3:300 completes with the whole text after the pause", async () => {
    const r = await run("stall@3:300");

    expectWhole(r);
    expect(r.ms).toBeGreaterThanOrEqual(300 * 0.8);
  });

  it("malformed@1 throws a SyntaxError (JSON.parse of the bad data line) after yielding 1 chunk; the rest of the stream is lost", async () => {
    const r = await run("malformed@1");

    expect(r.createError).toBeUndefined();
    expect(r.chunks).toHaveLength(1);
    expect(r.iterationError).toBeInstanceOf(SyntaxError);
    expect(r.iterationError).not.toBeInstanceOf(APIError);
    expect((r.iterationError as SyntaxError).message).toMatch(/JSON/);
  });

  it("malformed@3 throws the same SyntaxError after 3 chunks of partial text", async () => {
    const r = await run("malformed@3");

    expect(r.chunks).toHaveLength(3);
    expectPartial(r);
    expect(r.iterationError).toBeInstanceOf(SyntaxError);
  });

  it("ttfb:300 completes normally with the whole text", async () => {
    const r = await run("ttfb:300");

    expectWhole(r);
    expect(r.ms).toBeGreaterThanOrEqual(300 * 0.8);
  });

  it("slow@3:300 completes normally with the whole text", async () => {
    const r = await run("slow@3:300");

    expectWhole(r);
    expect(r.ms).toBeGreaterThanOrEqual(300 * 0.8);
  });
});

describe("openai SDK: quirks", () => {
  for (const quirk of ["quirk:event-lines", "quirk:crlf", "quirk:split-utf8", "quirk:keepalive-flood"]) {
    it(`${quirk} yields the whole text, one stop and usage on the finish chunk`, async () => {
      const r = await run(quirk);

      expectWhole(r);
      const last = r.chunks.at(-1);
      expect(last?.choices[0]?.finish_reason).toBe("stop");
      expect(typeof last?.usage?.completion_tokens).toBe("number");
    });
  }

  it("quirk:no-done completes (the body ends) with the whole text and usage", async () => {
    const r = await run("quirk:no-done");

    expectWhole(r);
    expect(typeof r.chunks.at(-1)?.usage?.total_tokens).toBe("number");
  });

  it("quirk:usage-chunk yields the finish chunk with usage null, then a last chunk with empty choices that carries usage", async () => {
    const r = await run("quirk:usage-chunk");

    expectWhole(r);
    const finish = r.chunks.at(-2);
    expect(finish?.choices[0]?.finish_reason).toBe("stop");
    expect(finish?.usage).toBeNull();
    const last = r.chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(typeof last?.usage?.prompt_tokens).toBe("number");
    expect(typeof last?.usage?.completion_tokens).toBe("number");
  });

  it("quirk:raw-error-line is ignored by the SDK's SSE decoder: 1 chunk, no text, no finish_reason, no error thrown", async () => {
    const r = await run("quirk:raw-error-line");

    expect(r.createError).toBeUndefined();
    expect(r.iterationError).toBeUndefined();
    expect(r.chunks).toHaveLength(1);
    expect(r.chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(r.text).toBe("");
    expect(finishReasons(r)).toEqual([]);
  });
});

describe("openai SDK: retries (what the mock sees)", () => {
  it("maxRetries 2 against a sequence 503, 503, reply: create() succeeds, and the journal shows 3 requests with x-stainless-retry-count 0, 1, 2", async () => {
    const session = newSession();
    const r = await run(undefined, { client: clientFor({ maxRetries: 2 }), session, message: "case:flaky-503" });

    expect(r.createError).toBeUndefined();
    expect(r.iterationError).toBeUndefined();
    expect(r.text).toBe(RECOVERED);
    await vi.waitFor(() => expect(journal(session)).toHaveLength(3));
    const entries = journal(session);
    expect(entries.map((e) => e.status)).toEqual([503, 503, 200]);
    expect(entries.map((e) => e.fault)).toEqual(["http:503", "http:503", null]);
    expect(entries.map((e) => e.request.headers["x-stainless-retry-count"])).toEqual(["0", "1", "2"]);
  });

  it("maxRetries 1 against http:429 (retry-after: 1): RateLimitError after 2 requests at least 0.8 s apart, x-stainless-retry-count 0 then 1", async () => {
    const session = newSession();
    const r = await run("http:429", { client: clientFor({ maxRetries: 1 }), session });

    expect(r.createError).toBeInstanceOf(RateLimitError);
    expect((r.createError as RateLimitError).headers?.get("retry-after")).toBe("1");
    await vi.waitFor(() => expect(journal(session)).toHaveLength(2));
    const entries = journal(session);
    expect(entries.map((e) => e.status)).toEqual([429, 429]);
    expect(entries.map((e) => e.request.headers["x-stainless-retry-count"])).toEqual(["0", "1"]);
    const gap = Date.parse(entries[1]?.at ?? "") - Date.parse(entries[0]?.at ?? "");
    expect(gap).toBeGreaterThanOrEqual(800);
    expect(r.ms).toBeGreaterThanOrEqual(800);
  });
});

describe("openai SDK: after every fault above", () => {
  it("the server still answers a normal stream in full", async () => {
    const r = await run(undefined);

    expectWhole(r);
  });
});
