/** Sends a built completion: as a timed stream with its faults applied, or as JSON when the stream would have ended. */
import { chunkFramer, completionBody } from "../contract/wire.js";
import { applyFaults } from "../faults/apply.js";
import type { Fault } from "../faults/fault-spec.js";
import { jsonOutcome } from "../faults/json-outcome.js";
import type { ChunkSpec } from "../stream/chunk-spec.js";
import type { Completion } from "../stream/completion.js";
import { streamDeltas } from "../stream/deltas.js";
import type { LatencyOverrides } from "../stream/latency.js";
import { schedule } from "../stream/schedule.js";
import type { Rng } from "../util/random.js";
import { answerJson } from "./answer-json.js";
import type { ChatContext } from "./sources/context.js";
import { writeStream } from "./sse-writer.js";

export function sendCompletion(
  ctx: ChatContext,
  params: {
    completion: Completion;
    faults: readonly Fault[];
    rng: Rng;
    stream?: (LatencyOverrides & { latency?: string | undefined }) | undefined;
    chunk?: ChunkSpec | undefined;
  },
): void {
  const { options } = ctx.state;
  const { completion, faults, rng } = params;
  const latency = ctx.latency(params.stream);
  const framer = chunkFramer(completion);
  const deltas = streamDeltas(completion, params.chunk ?? options.chunk, rng);
  const events = schedule({ deltas, frame: framer.frame, finish: framer.finish, latency, rng });
  if (ctx.stream) {
    writeStream(ctx.res, applyFaults({ headersAt: 0, events }, faults, framer));
    return;
  }
  // A JSON answer arrives when the whole stream would have finished.
  answerJson(ctx.res, { body: completionBody(completion), afterMs: events.at(-1)?.at ?? 0, outcome: jsonOutcome(faults) });
}
