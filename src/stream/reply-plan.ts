/** What a source (scenario, cassette, generator) decided to answer, before it is cut into chunks. */
import type { ReasoningFormat } from "../usage/catalogue.js";
import type { UsageOverrides } from "../usage/usage.js";

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error";

export interface ReasoningDetail {
  type: "reasoning.text" | "reasoning.summary" | "reasoning.encrypted";
  text?: string;
  summary?: string;
  data?: string;
  signature?: string;
  id?: string;
  format: ReasoningFormat;
  index: number;
}

export interface PlannedToolCall {
  id?: string | undefined;
  name: string;
  /** The arguments as the JSON text the client will receive. */
  arguments: string;
}

export interface ReplyPlan {
  /** The model id answered with (the request's unless a scenario says otherwise). */
  model: string;
  content: string | null;
  reasoning: string | null;
  /** Reasoning details given explicitly; they replace the closing signature or encrypted item. */
  reasoningDetails: ReasoningDetail[] | null;
  toolCalls: PlannedToolCall[];
  finishReason: FinishReason | null;
  usage: UsageOverrides;
}
