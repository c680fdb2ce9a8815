import type { z } from "zod";
import { badRequest, type MockError } from "./errors.js";
import { type ChatRequest, chatRequestSchema } from "./request-schema.js";

/** `messages[1].content` from zod's path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function describeValue(input: unknown): string {
  if (input === undefined || (typeof input === "object" && input !== null)) return "";
  const text = JSON.stringify(input);
  return `, got ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  const what = `${issue.message}${describeValue(issue.input)}`;
  return where === "" ? what : `\`${where}\` ${what}`;
}

export const MAX_DEPTH = 64;
export const MAX_MESSAGES = 10_000;

/** Whether a JSON value nests deeper than `limit`, checked without recursion. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== "object") continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Validates a parsed body; the error names every problem and where it is. */
export function validateChatRequest(body: unknown): { ok: true; request: ChatRequest } | { ok: false; error: MockError } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { ok: false, error: badRequest("Invalid request: the body must be a JSON object with `model` and `messages`.") };
  }
  // Limits that keep every later step (fingerprints, redaction, matching) cheap and safe.
  if (nestsDeeperThan(body, MAX_DEPTH)) {
    return { ok: false, error: badRequest(`Invalid request: the body nests deeper than ${MAX_DEPTH} levels.`) };
  }
  const messages = (body as { messages?: unknown }).messages;
  if (Array.isArray(messages) && messages.length > MAX_MESSAGES) {
    return {
      ok: false,
      error: badRequest(`Invalid request: \`messages\` holds ${messages.length} messages; the limit is ${MAX_MESSAGES}.`, "messages"),
    };
  }
  const result = chatRequestSchema.safeParse(body, { reportInput: true });
  if (result.success) return { ok: true, request: result.data };
  const issues = result.error.issues.slice(0, 5);
  const first = issues[0];
  const message = `Invalid request: ${issues.map(describeIssue).join("; ")}.`;
  return { ok: false, error: badRequest(message, first ? formatPath(first.path) : undefined) };
}
