import { describe, expect, it } from "vitest";
import { aggregateStream } from "../../src/cassettes/aggregate.js";
import type { RecordedEvent } from "../../src/cassettes/schema.js";
import { SseParser } from "../../src/cassettes/sse-parser.js";
import { completionFromJson } from "../../src/cassettes/unaggregate.js";
import type { ChatRequest } from "../../src/contract/request-schema.js";
import { chunkFramer, completionBody, SSE_DONE } from "../../src/contract/wire.js";
import { buildCompletion, type Completion } from "../../src/stream/completion.js";
import { streamDeltas } from "../../src/stream/deltas.js";
import { resolveLatency } from "../../src/stream/latency.js";
import type { ReplyPlan } from "../../src/stream/reply-plan.js";
import { schedule } from "../../src/stream/schedule.js";
import { makeCatalogue } from "../../src/usage/catalogue.js";
import { countTokens } from "../../src/usage/tokens.js";
import { makeRng } from "../../src/util/random.js";
import { replyPlan } from "../helpers/reply-plan.js";

const catalogue = makeCatalogue([
  { id: "anthropic/claude-sonnet-4-6", contextLength: 200000, pricing: { input: 3, output: 15 }, reasoning: "anthropic-claude-v1" },
  { id: "openai/gpt-5", contextLength: 400000, pricing: { input: 1.25, output: 10 }, reasoning: "openai-responses-v1" },
]);

function completion(model: string, over: Partial<ReplyPlan>): Completion {
  const plan = replyPlan({ ...over, model });
  const request = { model, messages: [{ role: "user", content: "hi" }] } as ChatRequest;
  return buildCompletion({ plan, request, promptTokens: 100, cachedTokens: 0, model: catalogue.get(model), rng: makeRng("0", "f") });
}

/** Streams a completion as the mock does, then records and aggregates it as the proxy would. */
function streamedBack(c: Completion): Record<string, unknown> | undefined {
  const framer = chunkFramer(c);
  const deltas = streamDeltas(c, { kind: "token", min: 1, max: 2 }, makeRng("0", "chunks"));
  const events = schedule({ deltas, frame: framer.frame, finish: framer.finish, latency: resolveLatency("none"), rng: makeRng("0", "s") });
  const text = events.map((e) => (e.kind === "chunk" ? e.frame : e.kind === "done" ? SSE_DONE : "")).join("");
  const parser = new SseParser();
  const recorded: RecordedEvent[] = [...parser.push(new TextEncoder().encode(text), 0), ...parser.end(0)];
  return aggregateStream(recorded);
}

const REASONING = "Two cities — Zürich and 東京; one call each.";
const CONTENT = "Checking both 🌦️.";
const TOOLS = [
  { id: "call_a", name: "get_weather", arguments: '{"city":"Zürich"}' },
  { id: "call_b", name: "get_time", arguments: '{"city":"東京"}' },
];

describe("completionFromJson", () => {
  const cases: [string, Completion][] = [
    ["text", completion("anthropic/claude-sonnet-4-6", { content: CONTENT })],
    [
      "anthropic reasoning, content and two tool calls",
      completion("anthropic/claude-sonnet-4-6", { reasoning: REASONING, content: CONTENT, toolCalls: TOOLS }),
    ],
    ["openai reasoning summary and encrypted item", completion("openai/gpt-5", { reasoning: REASONING, content: CONTENT })],
    ["tool calls only, cut at max_tokens", { ...completion("openai/gpt-5", { toolCalls: TOOLS }), finishReason: "length" }],
  ];

  it.each(cases)("gives back the completion the JSON answer was made from: %s", (_name, c) => {
    // Without reasoning the answer does not say which format the model uses; nothing sent depends on it then.
    const reasoningFormat = c.reasoning || c.closingDetails.length > 0 ? c.reasoningFormat : "unknown";
    expect(completionFromJson(completionBody(c))).toEqual({ ...c, reasoningFormat });
  });

  it.each(cases)("streams back to the same content, reasoning and tool calls: %s", (_name, c) => {
    const again = completionFromJson(completionBody(c)) as Completion;
    expect(streamedBack(again)).toStrictEqual(completionBody(c));
  });

  it("keeps the recorded id, created, model, finish_reason and usage as they are", () => {
    const usage = { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, cost: 0.5, market_cost: 0.7 };
    const body = {
      id: "gen-rec",
      object: "chat.completion",
      created: 1700000000,
      model: "x-ai/grok-4",
      choices: [{ index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "content_filter" }],
      usage,
    };
    const c = completionFromJson(body);
    expect(c).toMatchObject({ id: "gen-rec", created: 1700000000, model: "x-ai/grok-4", finishReason: "content_filter", usage });
    expect(c?.content?.pieces.totalTokens).toBe(countTokens("Hi"));
    expect(c?.reasoning).toBeNull();
    expect(c?.reasoningFormat).toBe("unknown");
  });

  it("re-sends only the reasoning details that carry a signature or data, without their text", () => {
    const c = completionFromJson({
      id: "gen-1",
      created: 1,
      model: "google/gemini-3-pro",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "ok",
            reasoning: "Thought.",
            reasoning_details: [
              { type: "reasoning.text", text: "Thought.", format: "google-gemini-v1", index: 0 },
              { type: "reasoning.encrypted", data: "BLOB", id: "rs_1", format: "google-gemini-v1", index: 1 },
              { type: "reasoning.text", text: "Signed.", signature: "SIG", format: "google-gemini-v1", index: 2 },
            ],
          },
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
    expect(c?.reasoningFormat).toBe("google-gemini-v1");
    expect(c?.reasoning?.text).toBe("Thought.");
    expect(c?.closingDetails).toEqual([
      { type: "reasoning.encrypted", data: "BLOB", id: "rs_1", format: "google-gemini-v1", index: 1 },
      { type: "reasoning.text", signature: "SIG", format: "google-gemini-v1", index: 2 },
    ]);
  });

  it("counts usage from the text only when the recording has none, and infers a missing finish reason", () => {
    const c = completionFromJson({
      id: "gen-1",
      created: 1,
      model: "m",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
          },
        },
      ],
    });
    expect(c?.finishReason).toBe("tool_calls");
    expect(c?.usage).toMatchObject({ prompt_tokens: 0, completion_tokens: countTokens("{}"), total_tokens: countTokens("{}"), cost: 0 });
    expect(c?.content).toBeNull();
  });

  it("returns undefined for anything that is not a completion", () => {
    for (const body of [undefined, null, "text", [], {}, { error: { message: "x" } }, { choices: [] }, { choices: [{ index: 0 }] }]) {
      expect(completionFromJson(body)).toBeUndefined();
    }
  });
});
