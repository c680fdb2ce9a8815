import type { z } from "zod";
import { guardJson } from "../util/json-guard.js";
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

/** Validates a parsed body; the error names every problem and where it is. */
export function validateChatRequest(body: unknown): { ok: true; request: ChatRequest } | { ok: false; error: MockError } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { ok: false, error: badRequest("Invalid request: the body must be a JSON object with `model` and `messages`.") };
  }
  // Limits that keep every later step (fingerprints, redaction, matching) cheap and safe.
  const problem = guardJson(body, MAX_DEPTH);
  if (problem?.kind === "depth")
    return { ok: false, error: badRequest(`Invalid request: the body nests deeper than ${MAX_DEPTH} levels.`) };
  if (problem?.kind === "proto") {
    const where = formatPath(problem.path);
    return { ok: false, error: badRequest(`Invalid request: \`${where}\`: a "__proto__" key is not allowed.`, where) };
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
