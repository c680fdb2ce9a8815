/** GET /api/v1/models: the catalogue in the OpenRouter list shape (prices per token, as strings). */
import type { RequestHandler } from "express";
import type { Catalogue } from "../../usage/catalogue.js";
import { sendJson } from "../respond.js";

const perToken = (perMillion: number) => String(perMillion / 1_000_000);

export function modelsBody(catalogue: Catalogue): unknown {
  return {
    object: "list",
    data: catalogue.models.map((m) => ({
      id: m.id,
      object: "model",
      created: 1_767_225_600,
      owned_by: m.id.split("/")[0],
      name: m.name ?? m.id,
      context_length: m.contextLength,
      pricing: {
        prompt: perToken(m.pricing.input),
        completion: perToken(m.pricing.output),
        input_cache_read: perToken(m.pricing.cachedInput ?? m.pricing.input),
      },
      pricing_per_million: m.pricing,
      supported_parameters: [
        "max_tokens",
        "temperature",
        "tools",
        "tool_choice",
        "stop",
        ...(m.reasoning ? ["reasoning", "include_reasoning"] : []),
      ],
    })),
  };
}

export function modelsRoute(catalogue: Catalogue): RequestHandler {
  const body = modelsBody(catalogue);
  return (_req, res) => sendJson(res, 200, body);
}
