/** The scenario file format (SPEC.md section 3): the one source of truth for its shape and its type. */
import { z } from "zod";
import { FAULT_GRAMMAR, parseFaultSpec } from "../faults/fault-spec.js";
import { CHUNK_GRAMMAR, parseChunkSpec } from "../stream/chunk-spec.js";
import { latencyPresetNames } from "../stream/latency.js";
import { reasoningFormats } from "../usage/catalogue.js";

const roles = ["system", "developer", "user", "assistant", "tool"] as const;

const pattern = z.string({ error: 'must be a string: a literal, a glob like "anthropic/*", or a /regex/flags' });

export const matchSchema = z.strictObject({
  model: pattern.optional(),
  lastUserMessage: pattern.optional(),
  lastMessageRole: z.enum(roles, { error: `must be one of ${roles.join(", ")}` }).optional(),
  hasTools: z.boolean({ error: "must be true or false" }).optional(),
  stream: z.boolean({ error: "must be true or false" }).optional(),
  headers: z.record(z.string(), pattern).optional(),
});

const count = z.number({ error: "must be a number" }).int("must be a whole number").min(0, "must not be negative");

const reasoningDetail = z.strictObject({
  type: z.enum(["text", "summary", "encrypted"], { error: "must be text, summary or encrypted" }),
  text: z.string().optional(),
  summary: z.string().optional(),
  data: z.string().optional(),
  signature: z.string().optional(),
  id: z.string().optional(),
  format: z.enum(reasoningFormats, { error: `must be one of ${reasoningFormats.join(", ")}` }).default("unknown"),
});

export const replySchema = z.strictObject({
  content: z.string({ error: "must be a string" }).optional(),
  reasoning: z.string({ error: "must be a string" }).optional(),
  reasoningDetails: z.array(reasoningDetail).optional(),
  toolCalls: z
    .array(
      z.strictObject({
        id: z.string().optional(),
        name: z.string({ error: "must be the tool's name" }),
        // An object is sent as its JSON; a string is sent as written; left out, arguments are
        // made up from the request's tool schema.
        arguments: z.union([z.string(), z.record(z.string(), z.unknown())], { error: "must be an object or a JSON string" }).optional(),
      }),
    )
    .optional(),
  finishReason: z
    .enum(["stop", "length", "tool_calls", "content_filter", "error"], {
      error: "must be one of stop, length, tool_calls, content_filter, error",
    })
    .optional(),
  usage: z
    .strictObject({
      promptTokens: count.optional(),
      completionTokens: count.optional(),
      reasoningTokens: count.optional(),
      cachedTokens: count.optional(),
      cost: z.number({ error: "must be a number of USD" }).min(0).optional(),
    })
    .optional(),
  model: z.string().optional(),
  // Made-up but readable text (and reasoning, for reasoning models) about the user's message.
  generate: z
    .strictObject({
      tokens: z.number({ error: "must be a number of tokens" }).int().min(1).max(100_000).default(80),
      reasoning: z.boolean({ error: "must be true or false (default: when the model reasons)" }).optional(),
      reasoningTokens: z.number().int().min(1).max(100_000).optional(),
    })
    .optional(),
  status: z
    .number({ error: "must be an HTTP status" })
    .int()
    .min(400, "must be an error status (400 to 599)")
    .max(599, "must be an error status (400 to 599)")
    .optional(),
  error: z
    .union([z.string(), z.looseObject({ message: z.string({ error: "must be a string" }) })], {
      error: "must be a message or an object with a `message`",
    })
    .optional(),
});

export const streamSchema = z.strictObject({
  chunk: z
    .string()
    .refine((s) => typeof parseChunkSpec(s) !== "string", { error: `must be ${CHUNK_GRAMMAR}` })
    .optional(),
  latency: z.enum(latencyPresetNames as [string, ...string[]], { error: `must be one of ${latencyPresetNames.join(", ")}` }).optional(),
  ttftMs: z.number().min(0, "must not be negative").optional(),
  tps: z.number().positive("must be above 0").optional(),
  jitter: z.number().min(0).max(1, "must be a fraction from 0 to 1").optional(),
});

const faultSchema = z.string({ error: `must be a fault spec: ${FAULT_GRAMMAR}` }).superRefine((text, ctx) => {
  const parsed = parseFaultSpec(text);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
});

const stepSchema = z.strictObject({
  reply: replySchema.optional(),
  stream: streamSchema.optional(),
  fault: faultSchema.optional(),
});

export const scenarioSchema = z
  .strictObject({
    name: z.string({ error: "must be a string" }).min(1).optional(),
    description: z.string().optional(),
    match: matchSchema.optional(),
    reply: replySchema.optional(),
    stream: streamSchema.optional(),
    fault: faultSchema.optional(),
    sequence: z.array(stepSchema).min(1, "must hold at least one step").optional(),
  })
  .refine((s) => s.reply !== undefined || s.sequence !== undefined || s.fault !== undefined, {
    error: "needs a `reply`, a `sequence` or a `fault`",
  });

export const scenarioListSchema = z.array(scenarioSchema, { error: "must be a list of scenarios" });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.infer<typeof scenarioSchema>;
export type Reply = z.infer<typeof replySchema>;
export type StreamSettings = z.infer<typeof streamSchema>;
export type Match = z.infer<typeof matchSchema>;
