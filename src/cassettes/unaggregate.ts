/** A recorded JSON completion as a Completion, so a non-stream recording can answer a streaming request. */
import type { Completion, CompletionToolCall, PiecedText } from "../stream/completion.js";
import type { FinishReason, ReasoningDetail } from "../stream/reply-plan.js";
import { type ReasoningFormat, reasoningFormats } from "../usage/catalogue.js";
import { tokenPieces } from "../usage/tokens.js";
import { buildUsage, type Usage } from "../usage/usage.js";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function pieced(value: string): PiecedText {
  return { text: value, pieces: tokenPieces(value) };
}

function reasoningFormat(details: readonly Json[]): ReasoningFormat {
  const format = details[0]?.format;
  return reasoningFormats.find((f) => f === format) ?? "unknown";
}

/** The items to re-send after the reasoning text: those carrying a signature or an encrypted blob, text removed. */
function closingDetails(details: readonly Json[]): ReasoningDetail[] {
  return details
    .filter((d) => typeof d.signature === "string" || typeof d.data === "string")
    .map(({ text: _text, summary: _summary, ...rest }) => rest as unknown as ReasoningDetail);
}

function toolCalls(value: unknown): CompletionToolCall[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((call) => {
    const fn = isObject(call.function) ? call.function : {};
    return { id: text(call.id) ?? "", name: text(fn.name) ?? "", arguments: pieced(text(fn.arguments) ?? "") };
  });
}

/** Usage as recorded; only a recording without one gets usage counted from its own text (no prompt, no cost). */
function usageOf(
  recorded: unknown,
  parts: { reasoning: PiecedText | null; content: PiecedText | null; calls: CompletionToolCall[] },
): Usage {
  if (isObject(recorded)) return recorded as unknown as Usage;
  const reasoningTokens = parts.reasoning?.pieces.totalTokens ?? 0;
  let completionTokens = reasoningTokens + (parts.content?.pieces.totalTokens ?? 0);
  for (const call of parts.calls) completionTokens += call.arguments.pieces.totalTokens;
  return buildUsage({ promptTokens: 0, completionTokens, reasoningTokens, cachedTokens: 0 }, undefined);
}

export function completionFromJson(body: unknown): Completion | undefined {
  if (!isObject(body) || !Array.isArray(body.choices)) return undefined;
  const choice: unknown = body.choices[0];
  if (!isObject(choice) || !isObject(choice.message)) return undefined;
  const message = choice.message;
  const details = Array.isArray(message.reasoning_details) ? message.reasoning_details.filter(isObject) : [];
  const reasoningText = text(message.reasoning) ?? text(message.reasoning_content) ?? "";
  const reasoning = reasoningText === "" ? null : pieced(reasoningText);
  const contentText = text(message.content);
  const content = contentText === undefined ? null : pieced(contentText);
  const calls = toolCalls(message.tool_calls);
  const recordedFinish = text(choice.finish_reason);
  return {
    id: text(body.id) ?? "",
    created: typeof body.created === "number" ? body.created : 0,
    model: text(body.model) ?? "",
    reasoning,
    reasoningFormat: reasoningFormat(details),
    closingDetails: closingDetails(details),
    content,
    toolCalls: calls,
    // Sent as recorded, even a value outside the usual set (such as the deprecated `function_call`).
    finishReason: (recordedFinish ?? (calls.length > 0 ? "tool_calls" : "stop")) as FinishReason,
    usage: usageOf(body.usage, { reasoning, content, calls }),
  };
}
