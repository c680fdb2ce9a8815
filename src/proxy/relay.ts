/**
 * Streams an upstream response to the client as it arrives, byte for byte, while keeping a copy
 * for the cassette: SSE events with their time offsets, or the JSON body. With live faults, the
 * stream is passed on event by event so a fault can strike after the N-th chunk; the upstream's
 * whole answer is still what gets recorded.
 */
import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { RecordedEvent } from "../cassettes/schema.js";
import { renderEvent, SseParser } from "../cassettes/sse-parser.js";
import type { LiveFaults, LiveStep } from "../faults/live.js";
import type { UpstreamResponse } from "./forward.js";

// Headers that describe the upstream's connection or encoding, not the answer.
const DROP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "date"]);

export interface Relayed {
  events?: RecordedEvent[];
  body?: unknown;
  /** Why the upstream stopped before the response ended, if it did. */
  broken?: string;
  /** The client went away on its own before the end. */
  clientLeft: boolean;
  /** How a fault ended the client's stream, if one did. */
  cut?: "end" | "destroy" | "stall";
}

export function responseHeaders(upstream: UpstreamResponse): Record<string, string> {
  return Object.fromEntries(Object.entries(upstream.headers).filter(([name]) => !DROP.has(name)));
}

export function isEventStream(upstream: UpstreamResponse): boolean {
  return (upstream.headers["content-type"] ?? "").includes("text/event-stream");
}

async function write(res: ServerResponse, chunk: Uint8Array | string): Promise<void> {
  if (!res.destroyed && !res.writableEnded && !res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
}

/** Carries out fault steps; returns how they ended the client's stream, if they did. */
async function runSteps(
  res: ServerResponse,
  steps: readonly LiveStep[],
  onCut: (how: "end" | "destroy" | "stall") => void,
): Promise<boolean> {
  for (const step of steps) {
    if (step.kind === "write") await write(res, step.text);
    else if (step.kind === "pause") await sleep(step.ms);
    else {
      onCut(step.how);
      if (step.how === "end") res.end();
      else if (step.how === "destroy") res.destroy();
      return false;
    }
  }
  return true;
}

export async function relay(params: {
  upstream: UpstreamResponse;
  res: ServerResponse;
  started: number;
  keep: boolean;
  faults?: LiveFaults | undefined;
  /** Called before a fault ends the client's stream, so closing it is not taken for the client leaving. */
  onCut?: (how: "end" | "destroy" | "stall") => void;
  /** Called with the stream's own `id` once its first chunk shows it, for error chunks that follow. */
  onStreamId?: (id: string) => void;
}): Promise<Relayed> {
  const { upstream, res, started, keep, faults } = params;
  let cut: "end" | "destroy" | "stall" | undefined;
  const onCut = (how: "end" | "destroy" | "stall") => {
    cut = how;
    params.onCut?.(how);
  };
  const isStream = isEventStream(upstream);
  const byEvent = isStream && faults !== undefined;
  const parser = isStream && (keep || byEvent) ? new SseParser() : undefined;
  const events: RecordedEvent[] = [];
  const parts: Buffer[] = [];
  const ms = () => Math.round(performance.now() - started);
  let broken: string | undefined;
  let open = byEvent ? await runSteps(res, faults.after(0), onCut) : true;
  let chunks = 0;
  let streamId: string | undefined;
  try {
    for await (const bytes of upstream.body) {
      if (isStream && streamId === undefined) {
        streamId = /"id"\s*:\s*"([^"]+)"/.exec(Buffer.from(bytes).toString("utf8"))?.[1];
        if (streamId !== undefined) params.onStreamId?.(streamId);
      }
      if (res.destroyed && !keep) break;
      if (!parser) {
        if (open) await write(res, bytes);
        if (keep) parts.push(Buffer.from(bytes));
        continue;
      }
      const parsed = parser.push(bytes, ms());
      if (keep) events.push(...parsed);
      if (!byEvent) {
        if (open) await write(res, bytes);
        continue;
      }
      for (const event of parsed) {
        if (!open) break;
        await write(res, renderEvent(event));
        if ("data" in event && event.data !== "[DONE]") open = await runSteps(res, faults.after(++chunks), onCut);
      }
    }
  } catch (error) {
    broken = `upstream stream failed: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`;
  }
  const clientLeft = cut === undefined && res.destroyed && !res.writableFinished;
  if (parser) {
    const rest = parser.end(ms());
    if (keep) events.push(...rest);
    if (byEvent && open) for (const event of rest) await write(res, renderEvent(event));
  }
  if (!isStream) {
    const text = Buffer.concat(parts).toString("utf8");
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Kept as text: the upstream sent something that is not JSON.
    }
    return { body, clientLeft, ...(broken ? { broken } : {}) };
  }
  return { events, clientLeft, ...(cut ? { cut } : {}), ...(broken ? { broken } : {}) };
}
