/** The contract's pre-stream error answers (contract.md 5.1 and 12.F), one per status. */
import { MockError } from "./errors.js";

interface Template {
  message: string;
  code?: string;
  metadata?: Record<string, unknown>;
  fields?: Record<string, unknown>;
  headers?: Record<string, string>;
}

const templates: Record<number, Template> = {
  400: { message: "Bad request: the request body is malformed or misses required fields" },
  401: { message: "Invalid API key" },
  402: {
    message: "Not enough credits available",
    code: "insufficient_credits",
    fields: { current_balance: -0.14, total_spent: 10.5, total_promotions: 5, buy_credits_url: "https://app.cline.bot/dashboard" },
  },
  403: {
    message: "Your key lacks access to this model",
    metadata: { reasons: ["access"], flagged_input: "", provider_name: null, model_slug: null },
  },
  404: { message: "Model not found: invalid endpoint or model ID" },
  408: { message: "Request timed out" },
  413: { message: "Request body too large" },
  429: { message: "Rate limit exceeded", headers: { "retry-after": "1" } },
  500: { message: "Internal server error" },
  502: {
    message: "Provider returned error",
    metadata: { provider_name: "Anthropic", raw: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' },
  },
  503: { message: "Service temporarily unavailable: no provider meets the routing requirements", headers: { "retry-after": "1" } },
};

/** An error answer for a status; `overrides` (a scenario's `error`) replace the template's fields. */
export function httpError(status: number, overrides: { message?: string; [field: string]: unknown } = {}): MockError {
  const t = templates[status] ?? { message: `HTTP ${status}` };
  const { message, code, metadata, ...fields } = overrides;
  return new MockError({
    status,
    message: message ?? t.message,
    code: (code as string | number | undefined) ?? t.code ?? status,
    metadata: (metadata as Record<string, unknown> | undefined) ?? t.metadata ?? {},
    fields: { ...t.fields, ...fields },
    headers: t.headers ?? {},
  });
}
