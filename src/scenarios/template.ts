/**
 * `{{...}}` templates in replies: `{{match.N}}` (or a named group), `{{lastUserMessage}}`,
 * `{{model}}`, and `{{request.PATH}}` for any part of the request body (`messages.-1.content`
 * counts from the end).
 */
import type { RequestView } from "./request-view.js";

const TEMPLATE = /\{\{\s*([^{}]+?)\s*\}\}/g;
const ROOTS = ["match", "lastUserMessage", "model", "request"];

export interface TemplateContext {
  view: RequestView;
  captures: Record<string, string>;
}

/** Checks a template string at load time; returns a problem or null. */
export function checkTemplate(text: string): string | null {
  for (const m of text.matchAll(TEMPLATE)) {
    const root = (m[1] as string).split(".")[0] as string;
    if (!ROOTS.includes(root)) return `uses {{${m[1]}}}; templates can use ${ROOTS.map((r) => `{{${r}...}}`).join(", ")}`;
  }
  return null;
}

function lookup(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    if (Array.isArray(current) && /^-\d+$/.test(key)) current = current[current.length + Number(key)];
    else current = Object.hasOwn(current, key) ? (current as Record<string, unknown>)[key] : undefined;
  }
  return current;
}

function resolve(expression: string, ctx: TemplateContext): string {
  const [root, ...path] = expression.split(".");
  let value: unknown;
  if (root === "match") value = ctx.captures[path.join(".")];
  else if (root === "lastUserMessage") value = ctx.view.lastUserMessage;
  else if (root === "model") value = ctx.view.model;
  else if (root === "request") value = lookup(ctx.view.request, path);
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function render(text: string, ctx: TemplateContext): string {
  if (!text.includes("{{")) return text;
  return text.replace(TEMPLATE, (_, expression: string) => resolve(expression, ctx));
}

/** Renders every string inside a JSON-like value. */
export function renderDeep(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === "string") return render(value, ctx);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, ctx));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, ctx)]));
  }
  return value;
}
