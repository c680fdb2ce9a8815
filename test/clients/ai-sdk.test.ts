/**
 * The Vercel AI SDK (`ai` v6 with `@ai-sdk/openai-compatible` v2, as the Cline SDK's `cline` provider
 * uses it) against the mock: contract.md sections 2.4, 4, 6, 7, 10 and 11.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, generateText, stepCountIs, streamText, type TextStreamPart, type ToolSet, tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type MockServer, type ScenarioInput, startMockServer } from "../../src/index.js";
import { bundledScenarios, MODEL, PLAIN, REASONED, REASONING, rejection } from "./fixtures.js";

const FORECAST = "sunny and 18 degrees";

const scenarios: ScenarioInput[] = [
  { name: "plain", match: { lastUserMessage: "case:plain" }, reply: { content: PLAIN } },
  { name: "reasoned", match: { lastUserMessage: "case:reasoned" }, reply: { reasoning: REASONING, content: REASONED } },
];

/** A provider whose requests are recorded (method, parsed body) before they go out. */
function provider(mock: MockServer) {
  const bodies: Array<Record<string, unknown>> = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    if (typeof init?.body === "string") bodies.push(JSON.parse(init.body) as Record<string, unknown>);
    return fetch(input, init);
  };
  const cline = createOpenAICompatible({ name: "cline", baseURL: mock.url, apiKey: "test", includeUsage: true, fetch: recordingFetch });
  return { model: cline.chatModel(MODEL), bodies };
}

async function collect<T extends ToolSet>(stream: AsyncIterable<TextStreamPart<T>>): Promise<Array<TextStreamPart<T>>> {
  const parts: Array<TextStreamPart<T>> = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

let mock: MockServer;
let jsonMock: MockServer;

beforeAll(async () => {
  mock = await startMockServer({ port: 0, latency: "none", scenarios: [...scenarios, bundledScenarios] });
  jsonMock = await startMockServer({ port: 0, latency: "none", streamDefault: false, scenarios: [...scenarios, bundledScenarios] });
});

afterAll(async () => {
  await mock?.close();
  await jsonMock?.close();
});

describe("AI SDK openai-compatible: streamText", () => {
  it("streamText streams the scenario's exact text, finishes with stop and reports numeric usage", async () => {
    const { model, bodies } = provider(mock);
    const result = streamText({ model, prompt: "case:plain", maxRetries: 0 });
    const parts = await collect(result.fullStream);

    expect(parts.filter((p) => p.type === "error")).toEqual([]);
    const streamed = parts.flatMap((p) => (p.type === "text-delta" ? [p.text] : [])).join("");
    expect(streamed).toBe(PLAIN);
    expect(await result.text).toBe(PLAIN);
    expect(await result.finishReason).toBe("stop");
    const usage = await result.usage;
    expect(typeof usage.inputTokens).toBe("number");
    expect(typeof usage.outputTokens).toBe("number");
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(usage.outputTokens).toBeGreaterThan(0);
    expect(bodies[0]?.stream).toBe(true);
    expect(bodies[0]?.stream_options).toEqual({ include_usage: true });
  });

  it("a streamText tool loop runs the tool on the bundled tool-call-demo call, then answers from its result in a second step", async () => {
    const { model, bodies } = provider(mock);
    const inputs: unknown[] = [];
    const inputSchema = z.object({ city: z.string().min(1), days: z.number().int().min(1) });
    const result = streamText({
      model,
      prompt: "What will the weather be in Paris?",
      maxRetries: 0,
      stopWhen: stepCountIs(3),
      tools: {
        get_forecast: tool({
          description: "The weather forecast for a city",
          inputSchema,
          execute: async (input) => {
            inputs.push(input);
            return { forecast: FORECAST };
          },
        }),
      },
    });
    const parts = await collect(result.fullStream);

    expect(parts.filter((p) => p.type === "error" || p.type === "tool-error")).toEqual([]);
    expect(inputs).toHaveLength(1);
    expect(inputSchema.safeParse(inputs[0]).success).toBe(true);

    const steps = await result.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0]?.finishReason).toBe("tool-calls");
    expect(steps[0]?.toolCalls.map((c) => c.toolName)).toEqual(["get_forecast"]);
    expect(steps[1]?.finishReason).toBe("stop");
    expect(await result.finishReason).toBe("stop");
    expect(await result.text).toContain(FORECAST);

    // The second request carried the tool's result back, which is what the bundled tool-result scenario answers.
    expect(bodies).toHaveLength(2);
    const lastMessage = ((bodies[1]?.messages ?? []) as Array<{ role: string; content: unknown }>).at(-1);
    expect(lastMessage?.role).toBe("tool");
    expect(String(lastMessage?.content)).toContain(FORECAST);
  });

  it("a reasoning scenario arrives as reasoning parts before the text", async () => {
    const { model } = provider(mock);
    const result = streamText({ model, prompt: "case:reasoned", maxRetries: 0 });
    const parts = await collect(result.fullStream);

    expect(parts.filter((p) => p.type === "error")).toEqual([]);
    const reasoning = parts.flatMap((p) => (p.type === "reasoning-delta" ? [p.text] : [])).join("");
    expect(reasoning).toBe(REASONING);
    expect(await result.reasoningText).toBe(REASONING);
    expect(await result.text).toBe(REASONED);
    const lastReasoning = parts.findLastIndex((p) => p.type === "reasoning-delta");
    const firstText = parts.findIndex((p) => p.type === "text-delta");
    expect(lastReasoning).toBeGreaterThanOrEqual(0);
    expect(firstText).toBeGreaterThan(lastReasoning);
  });
});

describe("AI SDK openai-compatible: generateText (never sends `stream`)", () => {
  it("generateText returns the text when the server is started with streamDefault: false", async () => {
    const { model, bodies } = provider(jsonMock);
    const result = await generateText({ model, prompt: "case:plain", maxRetries: 0 });

    expect(bodies).toHaveLength(1);
    expect(bodies[0]).not.toHaveProperty("stream");
    expect(result.text).toBe(PLAIN);
    expect(result.finishReason).toBe("stop");
    expect(typeof result.usage.inputTokens).toBe("number");
    expect(typeof result.usage.outputTokens).toBe("number");
  });

  it("generateText fails with APICallError 'Invalid JSON response' when the server streams by default (the contract hazard)", async () => {
    const { model, bodies } = provider(mock);
    const error = await rejection(generateText({ model, prompt: "case:plain", maxRetries: 0 }));

    expect(bodies[0]).not.toHaveProperty("stream");
    expect(APICallError.isInstance(error)).toBe(true);
    const callError = error as APICallError;
    expect(callError.message).toMatch(/Invalid JSON response/);
    expect(callError.statusCode).toBe(200);
    expect(callError.responseBody).toMatch(/^data: \{/);
  });

  it("generateText reads reasoning from a JSON answer as reasoningText", async () => {
    const { model } = provider(jsonMock);
    const result = await generateText({ model, prompt: "case:reasoned", maxRetries: 0 });

    expect(result.reasoningText).toBe(REASONING);
    expect(result.text).toBe(REASONED);
  });
});
