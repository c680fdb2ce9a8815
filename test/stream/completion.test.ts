import { describe, expect, it } from "vitest";
import type { ChatRequest } from "../../src/contract/request-schema.js";
import { buildCompletion } from "../../src/stream/completion.js";
import type { ReplyPlan } from "../../src/stream/reply-plan.js";
import { makeCatalogue } from "../../src/usage/catalogue.js";
import { countTokens } from "../../src/usage/tokens.js";
import { makeRng } from "../../src/util/random.js";
import { replyPlan } from "../helpers/reply-plan.js";

const sonnet = makeCatalogue([
  {
    id: "anthropic/claude-sonnet-4-6",
    contextLength: 200000,
    pricing: { input: 3, output: 15, cachedInput: 0.3 },
    reasoning: "anthropic-claude-v1",
  },
]).get("anthropic/claude-sonnet-4-6");

const plan = replyPlan;

const request = (over: Partial<ChatRequest> = {}): ChatRequest =>
  ({ model: "anthropic/claude-sonnet-4-6", messages: [{ role: "user", content: "hi" }], ...over }) as ChatRequest;

const build = (p: Partial<ReplyPlan>, r: Partial<ChatRequest> = {}, cachedTokens = 0) =>
  buildCompletion({ plan: plan(p), request: request(r), promptTokens: 100, cachedTokens, model: sonnet, rng: makeRng("0", "f") });

const CONTENT = "The capital of France is Paris, a city on the Seine with a long history.";

describe("buildCompletion", () => {
  it("finishes with stop for text and tool_calls when there are tool calls", () => {
    expect(build({ content: CONTENT }).finishReason).toBe("stop");
    expect(build({ toolCalls: [{ name: "f", arguments: "{}" }] }).finishReason).toBe("tool_calls");
  });

  it("cuts the content at max_tokens and finishes with length", () => {
    const c = build({ content: CONTENT }, { max_tokens: 5 });
    expect(c.finishReason).toBe("length");
    expect(c.usage.completion_tokens).toBe(5);
    expect(CONTENT.startsWith(c.content?.text ?? "-")).toBe(true);
    expect(countTokens(c.content?.text ?? "")).toBe(5);
  });

  it("max_completion_tokens wins over max_tokens, and reasoning spends the budget first", () => {
    const reasoning = "Let me think about the question carefully before answering.";
    const r = countTokens(reasoning);
    const c = build({ reasoning, content: CONTENT }, { max_tokens: 1000, max_completion_tokens: r + 2 });
    expect(c.finishReason).toBe("length");
    expect(c.usage.completion_tokens_details.reasoning_tokens).toBe(r);
    expect(c.usage.completion_tokens).toBe(r + 2);
  });

  it("a budget the answer fits in changes nothing", () => {
    const c = build({ content: CONTENT }, { max_tokens: 1000 });
    expect(c.finishReason).toBe("stop");
    expect(c.content?.text).toBe(CONTENT);
  });

  it("counts completion tokens over reasoning, content and tool arguments", () => {
    const reasoning = "Thinking.";
    const args = '{"city":"Paris"}';
    const c = build({ reasoning, content: CONTENT, toolCalls: [{ name: "w", arguments: args }] });
    expect(c.usage.completion_tokens).toBe(countTokens(reasoning) + countTokens(CONTENT) + countTokens(args));
    expect(c.usage.total_tokens).toBe(100 + c.usage.completion_tokens);
  });

  it("computes cost from the catalogue, cached tokens at the cached price", () => {
    const c = build({ content: CONTENT }, {}, 40);
    const expected = (60 * 3 + 40 * 0.3 + c.usage.completion_tokens * 15) / 1e6;
    expect(c.usage.cost).toBeCloseTo(expected, 9);
    expect(c.usage.prompt_tokens_details.cached_tokens).toBe(40);
  });

  it("usage values given by a scenario win over computed ones", () => {
    const c = build({ content: CONTENT, usage: { promptTokens: 7, completionTokens: 3, cost: 0.5 } });
    expect(c.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, cost: 0.5 });
  });

  it("leaves reasoning out when the request excludes it, but still bills its tokens", () => {
    const c = build({ reasoning: "Hidden thoughts.", content: "Answer." }, { reasoning: { exclude: true } });
    expect(c.reasoning).toBeNull();
    expect(c.closingDetails).toEqual([]);
    expect(c.usage.completion_tokens_details.reasoning_tokens).toBe(countTokens("Hidden thoughts."));
  });

  it("derives id and created from the seed, not the clock", () => {
    const a = build({ content: CONTENT });
    const b = build({ content: CONTENT });
    expect(a.id).toBe(b.id);
    expect(a.created).toBe(b.created);
    expect(a.id).toMatch(/^gen-/);
    const other = buildCompletion({
      plan: plan({ content: CONTENT }),
      request: request(),
      promptTokens: 1,
      cachedTokens: 0,
      model: sonnet,
      rng: makeRng("1", "f"),
    });
    expect(other.id).not.toBe(a.id);
  });
});
