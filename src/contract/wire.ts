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

export interface ChunkFramer {
  frame(delta: unknown): string;
  /** The chunk carrying finish_reason and usage (the Cline layout). */
  finish(): string;
  /** The finish chunk without usage, and usage alone with empty choices (the OpenAI layout). */
  finishWithoutUsage(): string;
  usageOnly(): string;
  /** The mid-stream error chunk: top-level `error` and `finish_reason: "error"` with its own (contract.md 5.2). */
  error(): string;
}

export const MID_STREAM_ERROR = { code: "server_error", message: "Provider disconnected unexpectedly" } as const;

/** The mid-stream error chunk (contract.md 5.2): top-level `error`, and `finish_reason: "error"` with its own. */
export function errorChunk(head: { id: unknown; created: unknown; model: unknown }): string {
  return `data: ${JSON.stringify({
    id: head.id,
    object: "chat.completion.chunk",
    created: head.created,
    model: head.model,
    error: { ...MID_STREAM_ERROR, metadata: {} },
    choices: [{ index: 0, delta: { content: "" }, finish_reason: "error", error: MID_STREAM_ERROR }],
  })}\n\n`;
}

/** Frames deltas as SSE events; the fixed part of every chunk is serialised once per stream. */
export function chunkFramer(c: Completion): ChunkFramer {
  const top = `data: {"id":${JSON.stringify(c.id)},"object":"chat.completion.chunk","created":${c.created},"model":${JSON.stringify(c.model)}`;
  const head = `${top},"choices":[{"index":0,"delta":`;
  const finishReason = JSON.stringify(c.finishReason);
  return {
    frame: (delta) => `${head}${JSON.stringify(delta)},"logprobs":null,"finish_reason":null}]}\n\n`,
    finish: () => `${head}{},"logprobs":null,"finish_reason":${finishReason}}],"usage":${JSON.stringify(c.usage)}}\n\n`,
    finishWithoutUsage: () => `${head}{},"logprobs":null,"finish_reason":${finishReason}}],"usage":null}\n\n`,
    usageOnly: () => `${top},"choices":[],"usage":${JSON.stringify(c.usage)}}\n\n`,
    error: () => errorChunk(c),
  };
}
