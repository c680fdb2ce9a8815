/** The facts of a request that scenarios match on, computed once per request. */
import type { ChatRequest } from "../contract/request-schema.js";

export interface RequestView {
  request: ChatRequest;
  model: string;
  lastUserMessage: string;
  lastMessageRole: string;
  hasTools: boolean;
  stream: boolean;
  headers: Record<string, string | string[] | undefined>;
}

export function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (typeof (part as { text?: unknown }).text === "string" ? (part as { text: string }).text : ""))
    .filter((t) => t !== "")
    .join("\n");
}

export function viewRequest(request: ChatRequest, stream: boolean, headers: Record<string, string | string[] | undefined>): RequestView {
  let lastUser = "";
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const m = request.messages[i];
    if (m?.role === "user") {
      lastUser = messageText(m.content);
      break;
    }
  }
  return {
    request,
    model: request.model,
    lastUserMessage: lastUser,
    lastMessageRole: request.messages[request.messages.length - 1]?.role ?? "",
    hasTools: (request.tools?.length ?? 0) > 0,
    stream,
    headers,
  };
}
