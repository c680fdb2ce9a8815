/** Answers from a recording: its events byte for byte, re-timed as asked, converted when the request wants the other form. */
import { aggregateStream } from "../../cassettes/aggregate.js";
import type { Interaction, RecordedEvent } from "../../cassettes/schema.js";
import { renderEvent } from "../../cassettes/sse-parser.js";
import { completionFromJson } from "../../cassettes/unaggregate.js";
import { errorChunk } from "../../contract/wire.js";
import { applyFaults, type FaultFrames } from "../../faults/apply.js";
import type { Fault } from "../../faults/fault-spec.js";
import { jsonOutcome } from "../../faults/json-outcome.js";
import type { ReplayTiming } from "../../options.js";
import type { StreamEvent } from "../../stream/events.js";
import type { Latency } from "../../stream/latency.js";
import { countTokens } from "../../usage/tokens.js";
import { makeRng } from "../../util/random.js";
import { answerJson } from "../answer-json.js";
import { faultError } from "../chat-errors.js";
import { sendJson } from "../respond.js";
import { sendCompletion } from "../send-completion.js";
import { writeStream } from "../sse-writer.js";
import type { ChatContext } from "./context.js";

type Chunk = Record<string, unknown> & { choices?: Array<Record<string, unknown>> };

function parse(data: string): Chunk | undefined {
  if (data === "[DONE]") return undefined;
  try {
    const value = JSON.parse(data) as unknown;
    return value !== null && typeof value === "object" ? (value as Chunk) : undefined;
  } catch {
    return undefined;
  }
}

/** Frames for faults on replayed traffic, built from the recording's own chunks. */
function framesOf(events: readonly RecordedEvent[]): FaultFrames {
  const chunks = events.flatMap((e) => ("data" in e ? [parse(e.data)] : [])).filter((c): c is Chunk => c !== undefined);
  const first = chunks[0] ?? {};
  const head = { id: first.id, object: "chat.completion.chunk", created: first.created, model: first.model };
  const finish = chunks.find((c) => c.choices?.some((choice) => choice.finish_reason));
  const usage = chunks.find((c) => c.usage)?.usage ?? null;
  const frame = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
  return {
    error: () => errorChunk(head),
    finishWithoutUsage: () => frame({ ...(finish ?? head), usage: null }),
    usageOnly: () => frame({ ...head, choices: [], usage }),
  };
}

/** Tokens a recorded chunk carries, for synthetic timing. */
function tokensOf(chunk: Chunk | undefined): number {
  const delta = chunk?.choices?.[0]?.delta as Record<string, unknown> | undefined;
  if (!delta) return 0;
  let text = "";
  for (const key of ["content", "reasoning"]) if (typeof delta[key] === "string") text += delta[key];
  for (const call of (delta.tool_calls as Array<{ function?: { arguments?: string } }> | undefined) ?? [])
    text += call.function?.arguments ?? "";
  return countTokens(text);
}

/** The recorded events as stream events, at recorded, scaled or synthetic times. */
function timedEvents(interaction: Interaction, timing: ReplayTiming, latency: Latency): StreamEvent[] {
  const recorded = interaction.response.events ?? [];
  let synthetic = latency.ttftMs;
  const msPerToken = Number.isFinite(latency.tps) && latency.tps > 0 ? 1000 / latency.tps : 0;
  const out: StreamEvent[] = recorded.map((e) => {
    let at: number;
    if (timing.kind === "recorded") at = Math.round(e.ms * timing.factor);
    else {
      if ("data" in e) synthetic += tokensOf(parse(e.data)) * msPerToken;
      at = Math.round("data" in e ? synthetic : Math.min(synthetic, latency.ttftMs));
    }
    if ("comment" in e) return { kind: "comment", at, frame: renderEvent(e) };
    if ("raw" in e) return { kind: "raw", at, bytes: e.raw };
    if (e.data === "[DONE]") return { kind: "done", at };
    const finish = parse(e.data)?.choices?.some((c) => c.finish_reason) === true;
    return { kind: "chunk", at, frame: renderEvent(e), ...(finish ? { finish } : {}) };
  });
  const last = out.at(-1)?.at ?? 0;
  // A recording that broke mid-stream breaks the same way; one that ended with [DONE] ends there.
  if (interaction.response.broken) out.push({ kind: "destroy", at: last });
  else if (!out.some((e) => e.kind === "done")) out.push({ kind: "end", at: last });
  return out;
}

export function answerFromCassette(ctx: ChatContext, hit: { name: string; index: number; interaction: Interaction }): void {
  const { res, state } = ctx;
  const { interaction } = hit;
  const response = interaction.response;
  ctx.record.source = `cassette:${hit.name}#${hit.index}`;
  res.setHeader("x-mock-source", ctx.record.source);
  const faults: readonly Fault[] = ctx.chooseFault(undefined)?.faults ?? [];
  const refused = faultError(faults, ctx.prompt.total, state.catalogue.get(ctx.request.model));
  if (refused) throw refused;
  for (const [name, value] of Object.entries(response.headers)) {
    if (name !== "content-type" && name !== "content-length") res.setHeader(name, value);
  }
  const timing = state.options.replayTiming;
  const latency = ctx.latency();

  if (response.events === undefined && (response.status >= 400 || !ctx.stream)) {
    // Errors, and JSON asked for as JSON, go back as recorded: status, content type and body.
    const outcome = response.status >= 400 ? { delayMs: 0, action: "send" as const } : jsonOutcome(faults);
    answerJson(res, { body: response.body, status: response.status, contentType: response.headers["content-type"], afterMs: 0, outcome });
    return;
  }
  if (response.events !== undefined && ctx.stream) {
    const events = timedEvents(interaction, timing, latency);
    writeStream(res, applyFaults({ headersAt: 0, events }, faults, framesOf(response.events)));
    return;
  }
  if (response.events !== undefined) {
    const body = aggregateStream(response.events);
    const afterMs = Math.round((response.events.at(-1)?.ms ?? 0) * (timing.kind === "recorded" ? timing.factor : 0));
    // A stream that broke, or held no completion, fails as JSON too.
    const failed = body === undefined || response.broken !== undefined;
    answerJson(res, { body, afterMs, outcome: failed ? { delayMs: 0, action: "error" } : jsonOutcome(faults) });
    return;
  }
  // A JSON recording asked for as a stream: streamed with the latency options.
  const completion = completionFromJson(response.body);
  if (!completion) {
    sendJson(res, 502, {
      error: { code: 502, message: "The recorded JSON answer is not a chat completion and cannot be streamed.", metadata: {} },
    });
    return;
  }
  sendCompletion(ctx, { completion, faults, rng: makeRng(ctx.seed, ctx.print) });
}
