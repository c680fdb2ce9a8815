/** The usage object of contract.md section 7, with cost from the catalogue's prices. */
import type { ModelEntry } from "./catalogue.js";

export interface UsageCounts {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
}

/** Fields a scenario may set; anything left out is computed. */
export interface UsageOverrides {
  promptTokens?: number | undefined;
  completionTokens?: number | undefined;
  reasoningTokens?: number | undefined;
  cachedTokens?: number | undefined;
  cost?: number | undefined;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens: number; audio_tokens: number };
  completion_tokens_details: { reasoning_tokens: number; image_tokens: number };
  cost: number;
  is_byok: boolean;
  cost_details: {
    upstream_inference_cost: null;
    upstream_inference_prompt_cost: number;
    upstream_inference_completions_cost: number;
  };
}

const PER_MILLION = 1_000_000;
// Costs are reported to the nano-dollar, as the real service does, so floats stay short.
const round = (usd: number) => Math.round(usd * 1e9) / 1e9;

export function buildUsage(computed: UsageCounts, model: ModelEntry | undefined, overrides: UsageOverrides = {}): Usage {
  const promptTokens = overrides.promptTokens ?? computed.promptTokens;
  const completionTokens = overrides.completionTokens ?? computed.completionTokens;
  const reasoningTokens = overrides.reasoningTokens ?? computed.reasoningTokens;
  const cachedTokens = Math.min(overrides.cachedTokens ?? computed.cachedTokens, promptTokens);
  const pricing = model?.pricing ?? { input: 0, output: 0 };
  const promptCost = ((promptTokens - cachedTokens) * pricing.input + cachedTokens * (pricing.cachedInput ?? pricing.input)) / PER_MILLION;
  const completionCost = (completionTokens * pricing.output) / PER_MILLION;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens, cache_write_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoningTokens, image_tokens: 0 },
    cost: overrides.cost ?? round(promptCost + completionCost),
    is_byok: false,
    cost_details: {
      upstream_inference_cost: null,
      upstream_inference_prompt_cost: round(promptCost),
      upstream_inference_completions_cost: round(completionCost),
    },
  };
}
