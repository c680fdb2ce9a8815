/**
 * Gives each delta its send time. Times are offsets from the stream's start, computed from the
 * cumulative token count, so jitter never accumulates into drift over a long stream.
 */
import type { Rng } from "../util/random.js";
import type { StreamDelta } from "./deltas.js";
import { KEEP_ALIVE_FRAME, type StreamEvent } from "./events.js";
import type { Latency } from "./latency.js";

export interface ScheduleParams {
  deltas: readonly StreamDelta[];
  frame: (delta: unknown) => string;
  finish: () => string;
  latency: Latency;
  rng: Rng;
}

export function schedule({ deltas, frame, finish, latency, rng }: ScheduleParams): StreamEvent[] {
  const vary = (ms: number) => (latency.jitter === 0 ? ms : ms * (1 + latency.jitter * (rng.next() * 2 - 1)));
  const ttft = Math.round(vary(latency.ttftMs));
  const events: StreamEvent[] = [];
  if (ttft > 0) {
    for (let at = 0; at < ttft; at += latency.keepAliveMs) events.push({ kind: "comment", at, frame: KEEP_ALIVE_FRAME });
  }
  const msPerToken = Number.isFinite(latency.tps) && latency.tps > 0 ? 1000 / latency.tps : 0;
  let tokens = 0;
  let at = ttft;
  for (const d of deltas) {
    tokens += d.tokens;
    // Each delta is due when its tokens would have been generated; jitter moves it by up to a
    // fraction of its own gap around that ideal time, never before the previous delta.
    const ideal = ttft + tokens * msPerToken;
    const gap = d.tokens * msPerToken;
    at = Math.max(at, Math.round(ideal + vary(gap) - gap));
    events.push({ kind: "chunk", at, frame: frame(d.delta) });
  }
  events.push({ kind: "chunk", at, frame: finish(), finish: true });
  events.push({ kind: "done", at });
  return events;
}
