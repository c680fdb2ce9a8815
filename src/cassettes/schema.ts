/**
 * The cassette file format (SPEC.md section 4): one YAML file per cassette name, holding the
 * interactions recorded under it, each with the request and the response exactly as sent.
 */
import { z } from "zod";

export const CASSETTE_VERSION = 1;

/** One SSE event as the upstream sent it, `ms` after the request went out. */
export const recordedEventSchema = z.union(
  [
    z.strictObject({ ms: z.number().min(0), data: z.string() }),
    z.strictObject({ ms: z.number().min(0), comment: z.string() }),
    // Bytes that are not a standard `data:` or comment event (CRLF endings, named events, stray lines).
    z.strictObject({ ms: z.number().min(0), raw: z.string() }),
  ],
  { error: "must be an event: {ms, data}, {ms, comment} or {ms, raw}" },
);

export const interactionSchema = z.strictObject({
  recordedAt: z.string({ error: "must be an ISO date" }),
  request: z.strictObject({
    method: z.string().default("POST"),
    path: z.string(),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown(),
    fingerprint: z.string({ error: "must be the request's fingerprint" }),
  }),
  response: z
    .strictObject({
      status: z.number().int().min(100).max(599),
      headers: z.record(z.string(), z.string()).default({}),
      events: z.array(recordedEventSchema).optional(),
      body: z.unknown().optional(),
      /** Set when the upstream failed before the response ended; replay ends the same way. */
      broken: z.string().optional(),
    })
    .refine((r) => r.events !== undefined || r.body !== undefined, { error: "needs `events` (a stream) or `body` (JSON)" }),
});

export const cassetteSchema = z.strictObject({
  cassette: z.literal(CASSETTE_VERSION, { error: `must be ${CASSETTE_VERSION}, the cassette format version` }),
  recordedWith: z.string().optional(),
  interactions: z.array(interactionSchema).default([]),
});

export type RecordedEvent = z.infer<typeof recordedEventSchema>;
export type Interaction = z.infer<typeof interactionSchema>;
export type Cassette = z.infer<typeof cassetteSchema>;
