import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregateStream } from "../../src/cassettes/aggregate.js";
import type { RecordedEvent } from "../../src/cassettes/schema.js";
import { SseParser } from "../../src/cassettes/sse-parser.js";
import type { ChatRequest } from "../../src/contract/request-schema.js";
import { chunkFramer, completionBody, SSE_DONE } from "../../src/contract/wire.js";
import { buildCompletion, type Completion } from "../../src/stream/completion.js";
import { streamDeltas } from "../../src/stream/deltas.js";
import { resolveLatency } from "../../src/stream/latency.js";
import type { ReplyPlan } from "../../src/stream/reply-plan.js";
import { schedule } from "../../src/stream/schedule.js";
import { makeCatalogue } from "../../src/usage/catalogue.js";
import { makeRng } from "../../src/util/random.js";
import { replyPlan } from "../helpers/reply-plan.js";

const HEAD = { id: "gen-1", object: "chat.completion.chunk", created: 1767225600, model: "anthropic/claude-sonnet-4-6" };
const USAGE = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cost: 0.001 };

const data = (value: unknown, ms = 0): RecordedEvent => ({ ms, data: typeof value === "string" ? value : JSON.stringify(value) });
const delta = (d: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
  data({ ...HEAD, choices: [{ index: 0, delta: d, logprobs: null, finish_reason: finish }], ...extra });

const message = (body: Record<string, unknown> | undefined) =>
  (body?.choices as { message: Record<string, unknown> }[] | undefined)?.[0]?.message;
const finishReason = (body: Record<string, unknown> | undefined) =>
  (body?.choices as { finish_reason: unknown }[] | undefined)?.[0]?.finish_reason;

describe("aggregateStream", () => {
  it("concatenates text into a chat.completion with the chunks' id, created and model", () => {
    const body = aggregateStream([
      { ms: 0, comment: " OPENROUTER PROCESSING" },
      delta({ role: "assistant", content: "" }),
      delta({ content: "Hello, " }),
      { ms: 0, data: "not json" },
      delta({ content: "world." }),
      delta({}, "stop", { usage: USAGE }),
      data("[DONE]"),
    ]);
    expect(body).toEqual({
      id: "gen-1",
      object: "chat.completion",
      created: 1767225600,
      model: "anthropic/claude-sonnet-4-6",
      choices: [
        { index: 0, message: { role: "assistant", content: "Hello, world.", refusal: null }, logprobs: null, finish_reason: "stop" },
      ],
      usage: USAGE,
    });
  });

  it("takes usage from a separate chunk with empty choices", () => {
    const body = aggregateStream([
      delta({ role: "assistant", content: "Hi" }, null, { usage: null }),
      delta({}, "stop", { usage: null }),
      data({ ...HEAD, choices: [], usage: USAGE }),
      data("[DONE]"),
    ]);
    expect(body?.usage).toEqual(USAGE);
    expect(finishReason(body)).toBe("stop");
    expect(message(body)?.content).toBe("Hi");
  });

  it("concatenates reasoning and merges reasoning details by index, the signature last", () => {
    const text = (t: string) => ({ type: "reasoning.text", text: t, format: "anthropic-claude-v1", index: 0 });
    const body = aggregateStream([
      delta({ role: "assistant", content: "" }),
      delta({ content: "", reasoning: "Let me ", reasoning_details: [text("Let me ")] }),
      delta({ content: "", reasoning: "think.", reasoning_details: [text("think.")] }),
      delta({
        content: "",
        reasoning: null,
        reasoning_details: [{ type: "reasoning.text", signature: "SIG", format: "anthropic-claude-v1", index: 0 }],
      }),
      delta({ content: "", reasoning_details: [{ type: "reasoning.encrypted", data: "BLOB", format: "anthropic-claude-v1", index: 1 }] }),
      delta({ content: "Done." }),
      delta({}, "stop"),
    ]);
    expect(message(body)).toEqual({
      role: "assistant",
      content: "Done.",
      refusal: null,
      reasoning: "Let me think.",
      reasoning_details: [
        { type: "reasoning.text", text: "Let me think.", signature: "SIG", format: "anthropic-claude-v1", index: 0 },
        { type: "reasoning.encrypted", data: "BLOB", format: "anthropic-claude-v1", index: 1 },
      ],
    });
  });

  it("merges two tool calls by index: id, type and name from the first delta, arguments concatenated", () => {
    const call = (index: number, fn: Record<string, unknown>, head: Record<string, unknown> = {}) => ({ index, ...head, function: fn });
    const body = aggregateStream([
      delta({ role: "assistant", content: null }),
      delta({ tool_calls: [call(0, { name: "get_weather", arguments: "" }, { id: "call_a", type: "function" })] }),
      delta({ tool_calls: [call(0, { arguments: '{"city":' })] }),
      delta({ tool_calls: [call(0, { arguments: '"Paris"}' }, { type: "function" })] }),
      delta({ tool_calls: [call(1, { name: "get_time", arguments: "" }, { id: "call_b", type: "function" })] }),
      delta({ tool_calls: [call(1, { arguments: "{}" })] }),
      delta({}, "tool_calls", { usage: USAGE }),
    ]);
    expect(message(body)).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [
        { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        { id: "call_b", type: "function", function: { name: "get_time", arguments: "{}" } },
      ],
    });
    expect(finishReason(body)).toBe("tool_calls");
    expect(body?.usage).toEqual(USAGE);
  });

  it("returns the partial completion with finish_reason error when a chunk carries an error", () => {
    const body = aggregateStream([
      delta({ role: "assistant", content: "Half an ans" }),
      data({
        ...HEAD,
        error: { code: "server_error", message: "gone" },
        choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
      }),
    ]);
    expect(message(body)?.content).toBe("Half an ans");
    expect(finishReason(body)).toBe("error");
    const bare = aggregateStream([delta({ role: "assistant", content: "x" }), data({ error: { message: "gone" } })]);
    expect(finishReason(bare)).toBe("error");
  });

  it("reads data out of raw events (CRLF framing) and ignores a bare JSON line", () => {
    const body = aggregateStream([
      { ms: 0, raw: `data: ${JSON.stringify({ ...HEAD, choices: [{ index: 0, delta: { role: "assistant", content: "A" } }] })}\r\n\r\n` },
      { ms: 0, raw: `${JSON.stringify({ ...HEAD, choices: [{ index: 0, delta: { content: "ignored" } }] })}\n\n` },
      {
        ms: 0,
        raw: `event: message\ndata: ${JSON.stringify({ ...HEAD, choices: [{ index: 0, delta: { content: "B" }, finish_reason: "stop" }] })}\n\n`,
      },
    ]);
    expect(message(body)?.content).toBe("AB");
    expect(finishReason(body)).toBe("stop");
  });

  it("returns undefined when no JSON chunk exists", () => {
    expect(aggregateStream([])).toBeUndefined();
    expect(aggregateStream([{ ms: 0, comment: " OPENROUTER PROCESSING" }, data("oops"), data("[DONE]"), data("[1,2]")])).toBeUndefined();
  });
});

const catalogue = makeCatalogue([
  { id: "anthropic/claude-sonnet-4-6", contextLength: 200000, pricing: { input: 3, output: 15 }, reasoning: "anthropic-claude-v1" },
  { id: "openai/gpt-5", contextLength: 400000, pricing: { input: 1.25, output: 10 }, reasoning: "openai-responses-v1" },
]);

const plan = (model: string, over: Partial<ReplyPlan>): ReplyPlan => replyPlan({ ...over, model });

function completion(model: string, over: Partial<ReplyPlan>): Completion {
  const request = { model, messages: [{ role: "user", content: "hi" }] } as ChatRequest;
  return buildCompletion({
    plan: plan(model, over),
    request,
    promptTokens: 100,
    cachedTokens: 0,
    model: catalogue.get(model),
    rng: makeRng("0", "f"),
  });
}

/** The SSE text the mock sends for a completion, in the Cline layout or the OpenAI one (usage alone at the end). */
function streamText(c: Completion, layout: "cline" | "openai" = "cline"): string {
  const framer = chunkFramer(c);
  const finish = layout === "cline" ? framer.finish : () => framer.finishWithoutUsage() + framer.usageOnly();
  const deltas = streamDeltas(c, { kind: "token", min: 1, max: 3 }, makeRng("0", "chunks"));
  const events = schedule({ deltas, frame: framer.frame, finish, latency: resolveLatency("none"), rng: makeRng("0", "s") });
  return events.map((e) => (e.kind === "chunk" || e.kind === "comment" ? e.frame : e.kind === "done" ? SSE_DONE : "")).join("");
}

function parse(text: string, cuts: number[] = []): RecordedEvent[] {
  const bytes = new TextEncoder().encode(text);
  const parser = new SseParser();
  const events: RecordedEvent[] = [];
  let from = 0;
  for (const at of [...cuts].sort((a, b) => a - b)) {
    events.push(...parser.push(bytes.subarray(from, at), at));
    from = at;
  }
  return [...events, ...parser.push(bytes.subarray(from), bytes.length), ...parser.end(bytes.length)];
}

const REASONING = "The user wants the weather in two cities — Zürich and 東京. I will call the tool twice.";
const CONTENT = "Let me check both cities for you 🌦️.";
const TOOLS = [
  { id: "call_a", name: "get_weather", arguments: '{"city":"Zürich","unit":"celsius"}' },
  { id: "call_b", name: "get_weather", arguments: '{"city":"東京","unit":"celsius"}' },
];

describe("aggregateStream of the mock's own streams", () => {
  const cases: [string, Completion][] = [
    ["text", completion("anthropic/claude-sonnet-4-6", { content: CONTENT })],
    [
      "anthropic reasoning, content and two tool calls",
      completion("anthropic/claude-sonnet-4-6", { reasoning: REASONING, content: CONTENT, toolCalls: TOOLS }),
    ],
    ["openai reasoning summary and encrypted item", completion("openai/gpt-5", { reasoning: REASONING, content: CONTENT })],
    ["tool calls only", completion("openai/gpt-5", { toolCalls: TOOLS })],
  ];

  it.each(cases)("gives exactly the JSON answer the mock sends: %s", (_name, c) => {
    expect(aggregateStream(parse(streamText(c)))).toStrictEqual(completionBody(c));
    expect(aggregateStream(parse(streamText(c, "openai")))).toStrictEqual(completionBody(c));
  });

  it("gives the same answer wherever the recorded bytes were split", () => {
    const c = cases[1]?.[1] as Completion;
    const text = streamText(c);
    const length = new TextEncoder().encode(text).length;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: 30 }), (cuts) => {
        expect(aggregateStream(parse(text, cuts))).toStrictEqual(completionBody(c));
      }),
      { numRuns: 100 },
    );
  });
});
