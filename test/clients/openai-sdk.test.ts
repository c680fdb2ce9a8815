/** The official `openai` npm SDK (v6, as Cline-legacy uses it) against the mock: contract.md sections 3, 4, 6, 7, 10 and 11. */
import OpenAI, { APIError, AuthenticationError, BadRequestError, RateLimitError } from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, type ScenarioInput, startMockServer } from "../../src/index.js";
import { bundledScenarios, MODEL, PLAIN, REASONED, REASONING, rejection } from "./fixtures.js";

const scenarios: ScenarioInput[] = [
  { name: "plain", match: { lastUserMessage: "case:plain" }, reply: { content: PLAIN } },
  { name: "reasoned", match: { lastUserMessage: "case:reasoned" }, reply: { reasoning: REASONING, content: REASONED } },
  { name: "rate-limited", match: { lastUserMessage: "case:rate-limited" }, reply: { status: 429 } },
  { name: "no-credits", match: { lastUserMessage: "case:no-credits" }, reply: { status: 402 } },
];

const weatherTool: ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, days: { type: "integer", minimum: 1 } },
      required: ["city", "days"],
    },
  },
};

const ask = (text: string): ChatCompletionMessageParam[] => [{ role: "user", content: text }];

/** The reasoning fields OpenRouter-style servers add to a delta; not in the SDK's types. */
type ReasoningDelta = ChatCompletionChunk.Choice.Delta & {
  reasoning?: string | null;
  reasoning_details?: Array<{ type: string; text?: string; signature?: string }>;
};

/** Usage as the contract (section 7) sends it: the SDK's type plus `cost`. */
type UsageWithCost = OpenAI.CompletionUsage & { cost?: unknown };

let mock: MockServer;
let jsonMock: MockServer;
let client: OpenAI;
let jsonClient: OpenAI;

beforeAll(async () => {
  mock = await startMockServer({ port: 0, latency: "none", scenarios: [...scenarios, bundledScenarios] });
  jsonMock = await startMockServer({ port: 0, latency: "none", streamDefault: false, scenarios: [...scenarios, bundledScenarios] });
  client = new OpenAI({ apiKey: "test-key", baseURL: mock.url, maxRetries: 0 });
  jsonClient = new OpenAI({ apiKey: "test-key", baseURL: jsonMock.url, maxRetries: 0 });
});

afterAll(async () => {
  await mock?.close();
  await jsonMock?.close();
});

describe("openai SDK: non-streaming", () => {
  it("create({stream: false}) returns a ChatCompletion with content, usage, cost and _request_id from x-request-id", async () => {
    // Awaiting the APIPromise gives the parsed body with `_request_id`; withResponse() gives the same request's raw Response.
    const request = client.chat.completions.create({ model: MODEL, messages: ask("case:plain"), stream: false });
    const data = await request;
    const { response } = await request.withResponse();

    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(data.object).toBe("chat.completion");
    expect(data.id).toMatch(/^gen-/);
    expect(data.model).toBe(MODEL);
    const choice = data.choices[0];
    expect(choice?.message.role).toBe("assistant");
    expect(choice?.message.content).toBe(PLAIN);
    expect(choice?.finish_reason).toBe("stop");

    const usage = data.usage as UsageWithCost | undefined;
    expect(usage).toBeDefined();
    expect(typeof usage?.prompt_tokens).toBe("number");
    expect(typeof usage?.completion_tokens).toBe("number");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
    expect(typeof usage?.cost).toBe("number");

    const requestId = response.headers.get("x-request-id");
    expect(requestId).toBeTruthy();
    expect(data._request_id).toBe(requestId);
  });

  it("create() without `stream` gets raw SSE text, not a completion, when the server streams by default (the contract hazard)", async () => {
    // The SDK sends no `stream` key and parses JSON only for application/json, so it hands back the body text.
    const result: unknown = await client.chat.completions.create({ model: MODEL, messages: ask("case:plain") });

    expect(typeof result).toBe("string");
    expect(result as string).toMatch(/^data: \{/);
    expect(result as string).toContain("data: [DONE]");
    expect((result as { choices?: unknown }).choices).toBeUndefined();
  });

  it("create() without `stream` returns a JSON ChatCompletion when the server is started with streamDefault: false", async () => {
    const completion = await jsonClient.chat.completions.create({ model: MODEL, messages: ask("case:plain") });

    expect(typeof completion).toBe("object");
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]?.message.content).toBe(PLAIN);
    expect(completion.choices[0]?.finish_reason).toBe("stop");
  });

  it("max_tokens: 3 cuts the answer with finish_reason length and at most 3 completion tokens", async () => {
    const completion = await client.chat.completions.create({ model: MODEL, messages: ask("case:plain"), stream: false, max_tokens: 3 });

    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("length");
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(3);
    const content = choice?.message.content ?? "";
    expect(content.length).toBeGreaterThan(0);
    expect(content.length).toBeLessThan(PLAIN.length);
    expect(PLAIN.startsWith(content)).toBe(true);
  });
});

describe("openai SDK: streaming", () => {
  it("create({stream: true}) yields chunks with one gen- id, created in seconds, role first, the exact content, and finish_reason with usage last", async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages: ask("case:plain"), stream: true });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks.length).toBeGreaterThan(2);
    const id = chunks[0]?.id;
    expect(id).toMatch(/^gen-/);
    for (const chunk of chunks) {
      expect(chunk.id).toBe(id);
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.created).toBeGreaterThan(1e9);
      expect(chunk.created).toBeLessThan(1e11);
    }
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(content).toBe(PLAIN);

    const last = chunks[chunks.length - 1];
    expect(last?.choices[0]?.finish_reason).toBe("stop");
    for (const chunk of chunks.slice(0, -1)) expect(chunk.choices[0]?.finish_reason ?? null).toBeNull();
    const usage = last?.usage as UsageWithCost | null | undefined;
    expect(typeof usage?.prompt_tokens).toBe("number");
    expect(typeof usage?.completion_tokens).toBe("number");
    expect(typeof usage?.total_tokens).toBe("number");
    expect(typeof usage?.cost).toBe("number");
  });

  it("the .stream() helper's finalChatCompletion() assembles the bundled tool-call-demo call with schema-valid JSON arguments", async () => {
    const runner = client.chat.completions.stream(
      { model: MODEL, messages: ask("What is the weather in Paris?"), tools: [weatherTool] },
      { headers: { "x-mock-scenario": "tool-call-demo" } },
    );
    const final = await runner.finalChatCompletion();

    const choice = final.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.role).toBe("assistant");
    const calls = choice?.message.tool_calls ?? [];
    expect(calls).toHaveLength(1);
    const call = calls[0];
    if (call?.type !== "function") throw new Error(`expected a function tool call, got ${JSON.stringify(call)}`);
    expect(call.id).toBeTruthy();
    expect(call.function.name).toBe("get_weather");
    const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
    expect(typeof args.city).toBe("string");
    expect(Number.isInteger(args.days)).toBe(true);
    expect(args.days as number).toBeGreaterThanOrEqual(1);
  });

  it("reasoning and reasoning_details deltas arrive before any content delta", async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages: ask("case:reasoned"), stream: true });
    const order: Array<"reasoning" | "details" | "content"> = [];
    let reasoning = "";
    let detailsText = "";
    let content = "";
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as ReasoningDelta | undefined;
      if (!delta) continue;
      if (delta.reasoning) {
        reasoning += delta.reasoning;
        order.push("reasoning");
      }
      if (delta.reasoning_details && delta.reasoning_details.length > 0) {
        for (const detail of delta.reasoning_details) detailsText += detail.text ?? "";
        order.push("details");
      }
      if (delta.content) {
        content += delta.content;
        order.push("content");
      }
    }

    expect(reasoning).toBe(REASONING);
    expect(detailsText).toBe(REASONING);
    expect(content).toBe(REASONED);
    const firstContent = order.indexOf("content");
    expect(firstContent).toBeGreaterThan(0);
    expect(order.lastIndexOf("reasoning")).toBeLessThan(firstContent);
    expect(order.lastIndexOf("details")).toBeLessThan(firstContent);
  });
});

describe("openai SDK: errors", () => {
  it("a request without an Authorization header raises AuthenticationError with status 401", async () => {
    // `Authorization: null` is the SDK's documented way to omit the header it would otherwise send.
    const keyless = new OpenAI({ apiKey: "unused", baseURL: mock.url, maxRetries: 0, defaultHeaders: { Authorization: null } });
    const error = await rejection(keyless.chat.completions.create({ model: MODEL, messages: ask("case:plain"), stream: false }));

    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expect((error as AuthenticationError).message).toMatch(/Invalid API key/);
  });

  it("temperature 3 raises BadRequestError with status 400 and a message naming temperature", async () => {
    const error = await rejection(
      client.chat.completions.create({ model: MODEL, messages: ask("case:plain"), stream: false, temperature: 3 }),
    );

    expect(error).toBeInstanceOf(BadRequestError);
    const apiError = error as BadRequestError;
    expect(apiError.status).toBe(400);
    expect(apiError.message).toContain("temperature");
    expect(apiError.param).toBe("temperature");
  });

  it("a scenario's 429 reply raises RateLimitError", async () => {
    const error = await rejection(client.chat.completions.create({ model: MODEL, messages: ask("case:rate-limited"), stream: false }));

    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).status).toBe(429);
    expect((error as RateLimitError).headers?.get("retry-after")).toBeTruthy();
  });

  it("a scenario's 402 reply raises APIError with code insufficient_credits and a numeric error.current_balance", async () => {
    const error = await rejection(client.chat.completions.create({ model: MODEL, messages: ask("case:no-credits"), stream: false }));

    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(402);
    expect(apiError.code).toBe("insufficient_credits");
    const body = apiError.error as { current_balance?: unknown; message?: unknown } | undefined;
    expect(typeof body?.current_balance).toBe("number");
    expect(typeof body?.message).toBe("string");
  });
});
