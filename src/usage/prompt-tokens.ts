/** `prompt_tokens` of a request: its messages (text and text parts) and tool definitions, as the model would see them. */
import type { ChatRequest } from "../contract/request-schema.js";
import { countTokens } from "./tokens.js";

// Chat formats wrap each message in a few tokens (start, role, end), and prime the reply with a few more.
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;
// An image costs tokens by size; a flat figure keeps the count plausible without decoding images.
const PER_IMAGE = 85;

function contentTokens(content: unknown): number {
  if (typeof content === "string") return countTokens(content);
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content as Array<Record<string, unknown>>) {
    if (typeof part.text === "string") n += countTokens(part.text);
    else if (part.type === "image_url") n += PER_IMAGE;
  }
  return n;
}

export interface PromptTokens {
  total: number;
  /** `prefix[i]`: tokens of the tools and messages 0..i, the part a provider could have cached. */
  prefix: number[];
}

/** Tools come first in the prompt, then the messages in order. */
export function promptTokens(request: ChatRequest): PromptTokens {
  let n = request.tools && request.tools.length > 0 ? countTokens(JSON.stringify(request.tools)) : 0;
  const prefix: number[] = [];
  for (const message of request.messages) {
    n += PER_MESSAGE + contentTokens(message.content);
    for (const call of message.tool_calls ?? []) n += countTokens(call.function.name) + countTokens(call.function.arguments ?? "");
    prefix.push(n);
  }
  return { total: n + REPLY_PRIMING, prefix };
}

export function countPromptTokens(request: ChatRequest): number {
  return promptTokens(request).total;
}
