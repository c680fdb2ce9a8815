/** The model catalogue (`models.yaml`): ids, context lengths, per-million-token prices, reasoning format. */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { loadYamlFile } from "../util/yaml-file.js";

export const reasoningFormats = [
  "unknown",
  "openai-responses-v1",
  "azure-openai-responses-v1",
  "xai-responses-v1",
  "anthropic-claude-v1",
  "google-gemini-v1",
] as const;
export type ReasoningFormat = (typeof reasoningFormats)[number];

const price = z.number({ error: "must be a price in USD per million tokens" }).min(0, "must not be negative");

const modelSchema = z.strictObject({
  id: z.string().regex(/^[^/\s]+\/[^\s]+$/, 'must look like "provider/model"'),
  name: z.string().optional(),
  contextLength: z.number().int().positive().default(128000),
  pricing: z.strictObject({ input: price, output: price, cachedInput: price.optional() }),
  reasoning: z.enum(reasoningFormats, { error: `must be one of ${reasoningFormats.join(", ")}` }).optional(),
});

export const catalogueSchema = z.strictObject({
  models: z.array(modelSchema).min(1, "must list at least one model"),
});

export type ModelEntry = z.infer<typeof modelSchema>;

export interface Catalogue {
  readonly models: readonly ModelEntry[];
  get(id: string): ModelEntry | undefined;
}

export function makeCatalogue(models: readonly ModelEntry[]): Catalogue {
  const byId = new Map(models.map((m) => [m.id, m]));
  return { models, get: (id) => byId.get(id) };
}

export const bundledCataloguePath = fileURLToPath(new URL("../../models.yaml", import.meta.url));

export function loadCatalogue(path: string = bundledCataloguePath): Catalogue {
  return makeCatalogue(loadYamlFile(path, catalogueSchema).models);
}
