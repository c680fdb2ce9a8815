/**
 * The Vercel AI SDK (`ai` v6 `streamText`) with `@ai-sdk/openai-compatible` v2 (the Cline SDK's
 * `cline` provider) and `@openrouter/ai-sdk-provider` v2 against the faults of SPEC.md section 5:
 * which parts arrive in `fullStream`, what `finishReason` becomes, which errors are thrown, and how
 * many requests the SDK's retries send (contract.md sections 5.2, 9 and 10).
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { createOpenRouter } from "@openrouter/ai-sdk-provider";
import { APICallError, type LanguageModel, RetryError, streamText, type TextStreamPart, type ToolSet } from "ai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type JournalEntry, type MockServer, startMockServer } from "../../src/index.js";
import { CHAOS_CONTENT as CONTENT, MODEL, RECOVERED, chaosScenarios as scenarios } from "./fixtures.js";

const MID_STREAM_ERROR = { code: "server_error", message: "Provider disconnected unexpectedly", metadata: {} };

let mock: MockServer;
let sessionCounter = 0;
const newSession = () => `ai-sdk-${++sessionCounter}-${Date.now()}`;
const journal = (session: string): JournalEntry[] => mock.requests().filter((e) => e.session === session);

type Provider = "openai-compatible" | "openrouter";
const providers: Provider[] = ["openai-compatible", "openrouter"];

function modelFor(provider: Provider): LanguageModel {
  if (provider === "openai-compatible") {
    return createOpenAICompatible({ name: "cline", baseURL: mock.url, apiKey: "test", includeUsage: true }).chatModel(MODEL);
  }
  return createOpenRouter({ baseURL: mock.url, apiKey: "test", compatibility: "compatible" }).chat(MODEL);
}

beforeAll(async () => {
  mock = await startMockServer({ port: 0, latency: "none", scenarios });
});

afterAll(async () => {
  await mock?.close();
});

interface Run {
  parts: Array<TextStreamPart<ToolSet>>;
  text: string;
  errors: unknown[];
  /** Thrown by iterating fullStream itself. */
  thrown: unknown;
  /** result.finishReason, or the error it rejected with. */
  finishReason: string | undefined;
  finishRejection: unknown;
  outputTokens: number | undefined;
  ms: number;
}

async function run(
  provider: Provider,
  fault: string | undefined,
  options: { session?: string; message?: string; maxRetries?: number } = {},
): Promise<Run> {
  const started = performance.now();
  const result = streamText({
    model: modelFor(provider),
    prompt: options.message ?? "case:chaos",
    maxRetries: options.maxRetries ?? 0,
    headers: { ...(fault === undefined ? {} : { "x-mock-fault": fault }), "x-mock-session": options.session ?? newSession() },
    // Errors are collected from fullStream; without this the SDK also logs them.
    onError: () => {},
  });
  const out: Run = {
    parts: [],
    text: "",
    errors: [],
    thrown: undefined,
    finishReason: undefined,
    finishRejection: undefined,
    outputTokens: undefined,
    ms: 0,
  };
  try {
    for await (const part of result.fullStream) out.parts.push(part);
  } catch (error) {
    out.thrown = error;
  }
  out.text = out.parts.flatMap((p) => (p.type === "text-delta" ? [p.text] : [])).join("");
  out.errors = out.parts.flatMap((p) => (p.type === "error" ? [p.error] : []));
  try {
    out.finishReason = await result.finishReason;
    out.outputTokens = (await result.usage).outputTokens;
  } catch (error) {
    out.finishRejection = error;
  }
  out.ms = performance.now() - started;
  return out;
}

/** Some text arrived before the failure, and it is the start of the content. */
function expectPartial(r: Run): void {
  expect(r.text.length).toBeGreaterThan(0);
  expect(r.text.length).toBeLessThan(CONTENT.length);
  expect(CONTENT.startsWith(r.text)).toBe(true);
}

function expectWhole(r: Run): void {
  expect(r.thrown).toBeUndefined();
  expect(r.errors).toEqual([]);
  expect(r.text).toBe(CONTENT);
  expect(r.finishReason).toBe("stop");
  expect(typeof r.outputTokens).toBe("number");
}

const types = (r: Run) => r.parts.map((p) => p.type);

describe("AI SDK streamText: error@N (the mid-stream error chunk)", () => {
  for (const provider of providers) {
    it(`${provider}: error@3 gives partial text, then one error part carrying the chunk's error object, then finishReason "error"`, async () => {
      const r = await run(provider, "error@3");

      expect(r.thrown).toBeUndefined();
      expectPartial(r);
      expect(r.errors).toEqual([MID_STREAM_ERROR]);
      const errorAt = types(r).indexOf("error");
      expect(types(r).lastIndexOf("text-delta")).toBeLessThan(errorAt);
      expect(types(r).at(-1)).toBe("finish");
      expect(r.finishReason).toBe("error");
      expect(r.outputTokens).toBeUndefined();
    });
  }
});

describe("AI SDK streamText: disconnect@N (the socket closes mid-body)", () => {
  it("openai-compatible: iterating fullStream throws APICallError 'Failed to process successful response' (status 200, cause TypeError terminated) after partial text; no error part", async () => {
    const r = await run("openai-compatible", "disconnect@3");

    expectPartial(r);
    expect(r.errors).toEqual([]);
    expect(APICallError.isInstance(r.thrown)).toBe(true);
    const error = r.thrown as APICallError;
    expect(error.message).toBe("Failed to process successful response");
    expect(error.statusCode).toBe(200);
    expect(error.isRetryable).toBe(true);
    expect(error.cause).toBeInstanceOf(TypeError);
    expect((error.cause as TypeError).message).toBe("terminated");
    expect(APICallError.isInstance(r.finishRejection)).toBe(true);
  });

  it('openrouter: an error part with TypeError "terminated" after partial text, then finishReason "error"', async () => {
    const r = await run("openrouter", "disconnect@3");

    expect(r.thrown).toBeUndefined();
    expectPartial(r);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toBeInstanceOf(TypeError);
    expect((r.errors[0] as TypeError).message).toBe("terminated");
    expect(r.finishReason).toBe("error");
  });
});

describe("AI SDK streamText: http faults", () => {
  for (const provider of providers) {
    it(`${provider}: http:429 with maxRetries 0 gives one error part, APICallError statusCode 429 isRetryable true, after one request`, async () => {
      const session = newSession();
      const r = await run(provider, "http:429", { session });

      expect(r.thrown).toBeUndefined();
      expect(types(r)).toEqual(["start", "error"]);
      expect(r.errors).toHaveLength(1);
      expect(APICallError.isInstance(r.errors[0])).toBe(true);
      const error = r.errors[0] as APICallError;
      expect(error.statusCode).toBe(429);
      expect(error.isRetryable).toBe(true);
      expect(error.responseHeaders?.["retry-after"]).toBe("1");
      expect(r.finishRejection).toBeDefined();
      expect((r.finishRejection as Error).name).toBe("AI_NoOutputGeneratedError");
      await vi.waitFor(() => expect(journal(session)).toHaveLength(1));
    });

    // Retryable as the AI SDK decides (408, 409, 429 and 5xx), with the contract's message.
    for (const [status, retryable, message] of [
      [401, false, "Invalid API key"],
      [403, false, "Your key lacks access to this model"],
      [404, false, "Model not found"],
      [408, true, "Request timed out"],
      [500, true, "Internal server error"],
      [502, true, "Provider returned error"],
    ] as const) {
      it(`${provider}: http:${status} gives APICallError ${status}, isRetryable ${retryable}, with the contract's message`, async () => {
        const session = newSession();
        const r = await run(provider, `http:${status}`, { session });

        expect(r.errors).toHaveLength(1);
        expect(APICallError.isInstance(r.errors[0])).toBe(true);
        const error = r.errors[0] as APICallError;
        expect(error.statusCode).toBe(status);
        expect(error.isRetryable).toBe(retryable);
        expect(`${error.message} ${error.responseBody ?? ""}`).toContain(message);
        await vi.waitFor(() => expect(journal(session)).toHaveLength(1));
      });
    }

    it(`${provider}: http:402 gives APICallError 402, not retryable, whose message is the credits message`, async () => {
      const r = await run(provider, "http:402");

      expect(r.errors).toHaveLength(1);
      expect(APICallError.isInstance(r.errors[0])).toBe(true);
      const error = r.errors[0] as APICallError;
      expect(error.statusCode).toBe(402);
      expect(error.isRetryable).toBe(false);
      expect(error.message).toContain("Not enough credits available");
      expect(error.responseBody).toContain('"insufficient_credits"');
    });

    it(`${provider}: http:400:context gives APICallError 400 whose message says 'maximum context length'`, async () => {
      const r = await run(provider, "http:400:context");

      expect(APICallError.isInstance(r.errors[0])).toBe(true);
      expect((r.errors[0] as APICallError).statusCode).toBe(400);
      expect((r.errors[0] as APICallError).message).toMatch(/maximum context length/);
    });
  }
});

describe("AI SDK streamText: retries (what the mock sees)", () => {
  it("openai-compatible, maxRetries 2, a sequence 503, 503, reply: the third request succeeds and the journal shows 3 requests", async () => {
    const session = newSession();
    const r = await run("openai-compatible", undefined, { session, message: "case:flaky-503", maxRetries: 2 });

    expect(r.errors).toEqual([]);
    expect(r.text).toBe(RECOVERED);
    expect(r.finishReason).toBe("stop");
    await vi.waitFor(() => expect(journal(session)).toHaveLength(3));
    expect(journal(session).map((e) => e.status)).toEqual([503, 503, 200]);
  });

  it("openrouter, maxRetries 2, http:503 on every request: a RetryError (maxRetriesExceeded) wrapping three 503s, and 3 requests in the journal", async () => {
    const session = newSession();
    const r = await run("openrouter", "http:503", { session, maxRetries: 2 });

    expect(r.errors).toHaveLength(1);
    expect(RetryError.isInstance(r.errors[0])).toBe(true);
    const error = r.errors[0] as RetryError;
    expect(error.reason).toBe("maxRetriesExceeded");
    expect(error.errors).toHaveLength(3);
    expect(error.errors.map((e) => (e as APICallError).statusCode)).toEqual([503, 503, 503]);
    await vi.waitFor(() => expect(journal(session)).toHaveLength(3));
    expect(journal(session).every((e) => e.status === 503 && e.fault === "http:503")).toBe(true);
    // retry-after: 1 replaces the SDK's 2 s initial backoff.
    expect(r.ms).toBeGreaterThanOrEqual(1600);
  });
});

describe("AI SDK streamText: the other faults and quirks", () => {
  /** Each fault, and the pause it adds (the run takes at least 80 % of it). */
  const benign: Array<[string, number]> = [
    ["ttfb:200", 200],
    ["slow@3:200", 200],
    ["stall@3:200", 200],
    ["quirk:event-lines", 0],
    ["quirk:crlf", 0],
    ["quirk:split-utf8", 0],
    ["quirk:keepalive-flood", 0],
    ["quirk:no-done", 0],
    ["quirk:usage-chunk", 0],
  ];
  for (const provider of providers) {
    for (const [fault, pauseMs] of benign) {
      it(`${provider}: ${fault} streams the whole text with finishReason stop, usage and no error part`, async () => {
        const r = await run(provider, fault);

        expectWhole(r);
        expect(r.ms).toBeGreaterThanOrEqual(pauseMs * 0.8);
      });
    }

    it(`${provider}: malformed@3 gives one JSONParseError error part, but the stream goes on: whole text, finishReason stop`, async () => {
      const r = await run(provider, "malformed@3");

      expect(r.thrown).toBeUndefined();
      expect(r.text).toBe(CONTENT);
      expect(r.errors).toHaveLength(1);
      expect((r.errors[0] as Error).name).toBe("AI_JSONParseError");
      expect(r.finishReason).toBe("stop");
    });
  }

  it('openai-compatible: truncate@3 gives partial text, then an InvalidResponseDataError "ended without a finish reason", finishReason "error"', async () => {
    const r = await run("openai-compatible", "truncate@3");

    expectPartial(r);
    expect(r.errors).toHaveLength(1);
    expect((r.errors[0] as Error).name).toBe("AI_InvalidResponseDataError");
    expect((r.errors[0] as Error).message).toMatch(/ended without a finish reason/);
    expect(r.finishReason).toBe("error");
  });

  it('openrouter: truncate@3 gives partial text and no error part; finishReason "other" (the cut goes unnoticed)', async () => {
    const r = await run("openrouter", "truncate@3");

    expectPartial(r);
    expect(r.errors).toEqual([]);
    expect(r.finishReason).toBe("other");
  });

  it('openai-compatible: quirk:raw-error-line gives no text and an InvalidResponseDataError (no finish reason), finishReason "error"', async () => {
    const r = await run("openai-compatible", "quirk:raw-error-line");

    expect(r.text).toBe("");
    expect(r.errors).toHaveLength(1);
    expect((r.errors[0] as Error).name).toBe("AI_InvalidResponseDataError");
    expect(r.finishReason).toBe("error");
  });

  it('openrouter: quirk:raw-error-line gives no text and no error part; finishReason "other" (the error line is lost)', async () => {
    const r = await run("openrouter", "quirk:raw-error-line");

    expect(r.text).toBe("");
    expect(r.errors).toEqual([]);
    expect(r.finishReason).toBe("other");
  });
});

describe("AI SDK streamText: after every fault above", () => {
  for (const provider of providers) {
    it(`${provider}: the server still answers a normal stream in full`, async () => {
      const r = await run(provider, undefined);

      expectWhole(r);
    });
  }
});
