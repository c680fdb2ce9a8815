/**
 * Turns a ReplyPlan into a Completion: token pieces cut at the request's token limit, ids, the
 * finish reason and usage. Both the JSON answer and the stream are built from it, so they agree.
 */
import type { ChatRequest } from "../contract/request-schema.js";
import type { ModelEntry, ReasoningFormat } from "../usage/catalogue.js";
import { type TokenPieces, tokenPieces } from "../usage/tokens.js";
import { buildUsage, type Usage } from "../usage/usage.js";
import type { Rng } from "../util/random.js";
import type { FinishReason, ReasoningDetail, ReplyPlan } from "./reply-plan.js";

export interface PiecedText {
  text: string;
  pieces: TokenPieces;
}

export interface CompletionToolCall {
  id: string;
  name: string;
  arguments: PiecedText;
}

export interface Completion {
  id: string;
  created: number;
  model: string;
  reasoning: PiecedText | null;
  reasoningFormat: ReasoningFormat;
  /** Items sent after the reasoning text (signature, encrypted blob, or the scenario's own). */
  closingDetails: ReasoningDetail[];
  content: PiecedText | null;
  toolCalls: CompletionToolCall[];
  finishReason: FinishReason;
  usage: Usage;
}

// `created` is derived, not read from the clock, so the same seed gives the same bytes.
const CREATED_BASE = 1_767_225_600; // 2026-01-01T00:00:00Z
const CREATED_SPAN = 365 * 24 * 3600;

function pieced(text: string): PiecedText {
  return { text, pieces: tokenPieces(text) };
}

/** Keeps at most `budget` tokens of a text; returns the kept part and the tokens used. */
function cut(text: PiecedText, budget: number): { kept: PiecedText; used: number; cut: boolean } {
  if (text.pieces.totalTokens <= budget) return { kept: text, used: text.pieces.totalTokens, cut: false };
  const texts: string[] = [];
  const tokens: number[] = [];
  let used = 0;
  for (let i = 0; i < text.pieces.texts.length; i++) {
    const n = text.pieces.tokens[i] as number;
    if (used + n > budget) break;
    texts.push(text.pieces.texts[i] as string);
    tokens.push(n);
    used += n;
  }
  return { kept: { text: texts.join(""), pieces: { texts, tokens, totalTokens: used } }, used, cut: true };
}

function closingDetails(format: ReasoningFormat, rng: Rng): ReasoningDetail[] {
  const opaque = () => Buffer.from(rng.id(48)).toString("base64");
  switch (format) {
    case "anthropic-claude-v1":
      return [{ type: "reasoning.text", signature: opaque(), format, index: 0 }];
    case "openai-responses-v1":
    case "azure-openai-responses-v1":
    case "xai-responses-v1":
    case "google-gemini-v1":
      return [{ type: "reasoning.encrypted", data: opaque(), id: `rs_${rng.id(24)}`, format, index: 0 }];
    case "unknown":
      return [];
  }
}

export interface CompletionParams {
  plan: ReplyPlan;
  request: ChatRequest;
  promptTokens: number;
  cachedTokens: number;
  model: ModelEntry | undefined;
  rng: Rng;
}

export function buildCompletion({ plan, request, promptTokens, cachedTokens, model, rng }: CompletionParams): Completion {
  const id = `gen-${rng.int(1_000_000_000, 9_999_999_999)}-${rng.id(20)}`;
  const created = CREATED_BASE + rng.int(0, CREATED_SPAN);
  const excludeReasoning = request.reasoning?.exclude === true || request.include_reasoning === false;
  const reasoningFormat = model?.reasoning ?? "anthropic-claude-v1";

  let budget = request.max_completion_tokens ?? request.max_tokens ?? Number.POSITIVE_INFINITY;
  let wasCut = false;
  let reasoningTokens = 0;
  let reasoning: PiecedText | null = null;
  if (plan.reasoning) {
    const r = cut(pieced(plan.reasoning), budget);
    budget -= r.used;
    reasoningTokens = r.used;
    wasCut ||= r.cut;
    // Excluded reasoning is still generated and billed, only not sent.
    reasoning = excludeReasoning || r.kept.text === "" ? null : r.kept;
  }
  let content: PiecedText | null = null;
  let contentTokens = 0;
  if (plan.content !== null) {
    const c = cut(pieced(plan.content), budget);
    budget -= c.used;
    contentTokens = c.used;
    wasCut ||= c.cut;
    content = c.kept;
  }
  const toolCalls: CompletionToolCall[] = [];
  let toolTokens = 0;
  for (const call of plan.toolCalls) {
    if (budget <= 0) {
      wasCut = true;
      break;
    }
    const a = cut(pieced(call.arguments), budget);
    budget -= a.used;
    toolTokens += a.used;
    wasCut ||= a.cut;
    toolCalls.push({ id: call.id ?? `call_${rng.id(24)}`, name: call.name, arguments: a.kept });
  }

  const finishReason: FinishReason = wasCut ? "length" : (plan.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"));
  const details = plan.reasoningDetails ?? (plan.reasoning ? closingDetails(reasoningFormat, rng) : []);
  return {
    id,
    created,
    model: plan.model,
    reasoning,
    reasoningFormat,
    closingDetails: excludeReasoning ? [] : details,
    content,
    toolCalls,
    finishReason,
    usage: buildUsage(
      { promptTokens, completionTokens: reasoningTokens + contentTokens + toolTokens, reasoningTokens, cachedTokens },
      model,
      plan.usage,
    ),
  };
}
