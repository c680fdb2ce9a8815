/**
 * `@openrouter/ai-sdk-provider` v2 (used by the Cline SDK, `compatibility: "compatible"`) against the
 * mock. It validates chunks more strictly than the other clients (contract.md sections 6, 7, 10 and 11):
 * a chunk it rejects shows up as an `error` part, not as a thrown error, so each test collects the whole
 * `fullStream` and checks that no part is an error.
 */
import { createOpenRouter } from "@openrouter/ai-sdk-provider";
import { streamText, type TextStreamPart, type ToolSet, tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type MockServer, type ScenarioInput, startMockServer } from "../../src/index.js";
import { bundledScenarios, MODEL, PLAIN, REASONED, REASONING } from "./fixtures.js";

const scenarios: ScenarioInput[] = [
  { name: "plain", match: { lastUserMessage: "case:plain" }, reply: { content: PLAIN } },
  { name: "reasoned", match: { lastUserMessage: "case:reasoned" }, reply: { reasoning: REASONING, content: REASONED } },
];

async function collect<T extends ToolSet>(stream: AsyncIterable<TextStreamPart<T>>): Promise<Array<TextStreamPart<T>>> {
  const parts: Array<TextStreamPart<T>> = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

/** The parts that report a failure; shown whole, so a failing test prints the provider's reason. */
function failures<T extends ToolSet>(parts: Array<TextStreamPart<T>>): unknown[] {
  return parts
    .filter((p) => p.type === "error" || p.type === "tool-error")
    .map((p) => ("error" in p ? String(p.error instanceof Error ? `${p.error.name}: ${p.error.message}` : p.error) : p));
}

let mock: MockServer;
let openrouter: ReturnType<typeof createOpenRouter>;

beforeAll(async () => {
  mock = await startMockServer({ port: 0, latency: "none", scenarios: [...scenarios, bundledScenarios] });
  openrouter = createOpenRouter({ baseURL: mock.url, apiKey: "test", compatibility: "compatible" });
});

afterAll(async () => {
  await mock?.close();
});

describe("OpenRouter AI SDK provider: streamText", () => {
  it("a text stream passes the provider's validation: exact text, finish stop, usage and numeric cost", async () => {
    const result = streamText({ model: openrouter.chat(MODEL), prompt: "case:plain", maxRetries: 0 });
    const parts = await collect(result.fullStream);

    expect(failures(parts)).toEqual([]);
    expect(await result.text).toBe(PLAIN);
    expect(await result.finishReason).toBe("stop");
    const usage = await result.usage;
    expect(typeof usage.inputTokens).toBe("number");
    expect(typeof usage.outputTokens).toBe("number");
    expect(usage.outputTokens).toBeGreaterThan(0);
    const metadata = (await result.providerMetadata)?.openrouter as { usage?: Record<string, unknown> } | undefined;
    expect(typeof metadata?.usage?.totalTokens).toBe("number");
    expect(typeof metadata?.usage?.cost).toBe("number");
  });

  it("a reasoning stream gives reasoning parts, then the text, with no error part and numeric usage", async () => {
    const result = streamText({ model: openrouter.chat(MODEL), prompt: "case:reasoned", maxRetries: 0 });
    const parts = await collect(result.fullStream);

    expect(failures(parts)).toEqual([]);
    const reasoning = parts.flatMap((p) => (p.type === "reasoning-delta" ? [p.text] : [])).join("");
    expect(reasoning).toBe(REASONING);
    expect(await result.reasoningText).toBe(REASONING);
    expect(await result.text).toBe(REASONED);
    const lastReasoning = parts.findLastIndex((p) => p.type === "reasoning-delta");
    expect(parts.findIndex((p) => p.type === "text-delta")).toBeGreaterThan(lastReasoning);

    expect(await result.finishReason).toBe("stop");
    const usage = await result.usage;
    expect(typeof usage.inputTokens).toBe("number");
    expect(typeof usage.outputTokens).toBe("number");
    expect(usage.outputTokenDetails.reasoningTokens).toBeGreaterThan(0);
  });

  it("a tool call from the bundled tool-call-demo streams with no error part and schema-valid input", async () => {
    const inputSchema = z.object({ city: z.string().min(1), days: z.number().int().min(1) });
    const result = streamText({
      model: openrouter.chat(MODEL),
      prompt: "What will the weather be in Paris?",
      maxRetries: 0,
      headers: { "x-mock-scenario": "tool-call-demo" },
      tools: { get_forecast: tool({ description: "The weather forecast for a city", inputSchema }) },
    });
    const parts = await collect(result.fullStream);

    expect(failures(parts)).toEqual([]);
    const calls = parts.flatMap((p) => (p.type === "tool-call" ? [p] : []));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.toolName).toBe("get_forecast");
    expect(calls[0]?.invalid ?? false).toBe(false);
    expect(inputSchema.safeParse(calls[0]?.input).success).toBe(true);
    expect(await result.finishReason).toBe("tool-calls");
    const usage = await result.usage;
    expect(typeof usage.inputTokens).toBe("number");
    expect(typeof usage.outputTokens).toBe("number");
  });
});
