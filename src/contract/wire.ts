/** The bytes clients read: the JSON completion and the SSE chunk frames (contract.md sections 3 and 4). */
import type { Completion } from "../stream/completion.js";
import type { ReasoningDetail } from "../stream/reply-plan.js";
import type { ReasoningFormat } from "../usage/catalogue.js";

export const SSE_DONE = "data: [DONE]\n\n";

export function textDetailType(format: ReasoningFormat): "reasoning.text" | "reasoning.summary" {
  return format === "openai-responses-v1" || format === "azure-openai-responses-v1" || format === "xai-responses-v1"
    ? "reasoning.summary"
    : "reasoning.text";
}

/** The reasoning details of a whole answer: the text as one item, then the closing items. */
function fullDetails(c: Completion): ReasoningDetail[] {
  if (!c.reasoning) return c.closingDetails;
  const type = textDetailType(c.reasoningFormat);
  const item: ReasoningDetail =
    type === "reasoning.text"
      ? { type, text: c.reasoning.text, format: c.reasoningFormat, index: 0 }
      : { type, summary: c.reasoning.text, format: c.reasoningFormat, index: 0 };
  // An Anthropic signature belongs to the text item it signs.
  const [first, ...rest] = c.closingDetails;
  if (first?.signature && first.type === "reasoning.text") return [{ ...item, signature: first.signature }, ...rest];
  return [item, ...c.closingDetails];
}

export function completionBody(c: Completion): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: c.content?.text ?? null,
    refusal: null,
  };
  if (c.reasoning) message.reasoning = c.reasoning.text;
  const details = fullDetails(c);
  if (details.length > 0) message.reasoning_details = details;
  if (c.toolCalls.length > 0) {
    message.tool_calls = c.toolCalls.map((t) => ({
      id: t.id,
      type: "function",
      function: { name: t.name, arguments: t.arguments.text },
    }));
  }
  return {
    id: c.id,
    object: "chat.completion",
    created: c.created,
    model: c.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: c.finishReason }],
    usage: c.usage,
  };
}

/** Frames deltas as SSE events; the fixed part of every chunk is serialised once per stream. */
export function chunkFramer(c: Completion): { frame(delta: unknown): string; finish(): string } {
  const head = `data: {"id":${JSON.stringify(c.id)},"object":"chat.completion.chunk","created":${c.created},"model":${JSON.stringify(c.model)},"choices":[{"index":0,"delta":`;
  return {
    frame: (delta) => `${head}${JSON.stringify(delta)},"logprobs":null,"finish_reason":null}]}\n\n`,
    finish: () => `${head}{},"logprobs":null,"finish_reason":${JSON.stringify(c.finishReason)}}],"usage":${JSON.stringify(c.usage)}}\n\n`,
  };
}
