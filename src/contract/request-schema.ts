/**
 * The request body as real clients send it (contract.md 2.2 to 2.5): unknown fields and `null`s
 * pass, only what the endpoint documents is checked.
 */
import { z } from "zod";

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();

const contentPart = z.looseObject({
  type: z.string({ error: 'must be a string such as "text" or "image_url"' }),
  text: z.string().optional(),
});

const content = z.union([z.string(), z.array(contentPart), z.null()], {
  error: "must be a string, an array of content parts, or null",
});

const toolCall = z.looseObject({
  id: z.string().optional(),
  type: z.string().optional(),
  function: z.looseObject({
    name: z.string({ error: "must be a string" }),
    arguments: z.string({ error: "must be a JSON string" }).optional(),
  }),
});

const roles = ["system", "developer", "user", "assistant", "tool", "function"] as const;

const message = z.looseObject({
  role: z.enum(roles, { error: `must be one of ${roles.join(", ")}` }),
  content: content.optional(),
  tool_calls: nullable(z.array(toolCall)),
  tool_call_id: nullable(z.string()),
  name: nullable(z.string()),
});

const tool = z.looseObject({
  type: z.literal("function", { error: 'must be "function"' }),
  function: z.looseObject({
    name: z.string({ error: "must be a string" }).min(1, "must not be empty"),
    description: nullable(z.string()),
    parameters: nullable(z.record(z.string(), z.unknown())),
  }),
});

const numberIn = (min: number, max: number) =>
  nullable(
    z
      .number({ error: `must be a number from ${min} to ${max}` })
      .min(min, `must be from ${min} to ${max}`)
      .max(max, `must be from ${min} to ${max}`),
  );

const positiveInt = nullable(
  z.number({ error: "must be a positive integer" }).int("must be a positive integer").min(1, "must be at least 1"),
);

export const chatRequestSchema = z.looseObject({
  model: z
    .string({ error: (issue) => (issue.input === undefined ? "is required" : 'must be a string such as "anthropic/claude-sonnet-4-6"') })
    .min(1, "must not be empty"),
  messages: z
    .array(message, {
      error: (issue) => (issue.input === undefined ? "is required" : "must be an array of messages"),
    })
    .min(1, "must hold at least one message"),
  stream: nullable(z.boolean({ error: "must be true or false" })),
  stream_options: nullable(z.looseObject({ include_usage: nullable(z.boolean()) })),
  temperature: numberIn(0, 2),
  top_p: numberIn(0, 1),
  frequency_penalty: numberIn(-2, 2),
  presence_penalty: numberIn(-2, 2),
  top_logprobs: numberIn(0, 20),
  n: nullable(
    z.number({ error: "must be 1" }).int("must be 1").min(1, "must be 1").max(1, "must be 1: this endpoint returns one choice per request"),
  ),
  max_tokens: positiveInt,
  max_completion_tokens: positiveInt,
  stop: nullable(
    z.union([z.string(), z.array(z.string()).max(4, "must hold at most 4 strings")], {
      error: "must be a string or an array of up to 4 strings",
    }),
  ),
  tools: nullable(z.array(tool, { error: "must be an array of function tools" })),
  tool_choice: nullable(
    z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string() }) })], {
      error: 'must be "none", "auto", "required" or {type: "function", function: {name}}',
    }),
  ),
  reasoning: nullable(
    z.looseObject({
      effort: nullable(z.string()),
      max_tokens: nullable(z.number()),
      exclude: nullable(z.boolean()),
      enabled: nullable(z.boolean()),
    }),
  ),
  include_reasoning: nullable(z.boolean({ error: "must be true or false" })),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
