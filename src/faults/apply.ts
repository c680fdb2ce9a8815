/**
 * Faults and quirks as transformations of a stream plan. Each one is a pure function of the event
 * list; they run in one fixed order so that any combination composes the same way: structure
 * first, then cuts, then timing, then the bytes on the wire.
 */
import type { StreamEvent, StreamPlan } from "../stream/events.js";
import { KEEP_ALIVE_FRAME } from "../stream/events.js";
import type { Fault, QuirkName } from "./fault-spec.js";
import { MALFORMED_LINE } from "./live.js";

/** Frames a fault needs that only the completion can build. */
export interface FaultFrames {
  /** The mid-stream error chunk (contract.md 5.2). */
  error(): string;
  /** The finish chunk without usage, and usage in a chunk of its own (OpenAI layout). */
  finishWithoutUsage(): string;
  usageOnly(): string;
}

const ORDER: Record<Exclude<Fault["kind"], "quirk"> | QuirkName, number> = {
  "usage-chunk": 0,
  "no-done": 1,
  malformed: 2,
  "raw-error-line": 3,
  error: 4,
  disconnect: 4,
  stall: 4,
  truncate: 4,
  slow: 5,
  ttfb: 6,
  "keepalive-flood": 7,
  "event-lines": 8,
  crlf: 9,
  "split-utf8": 10,
  http: 11,
};

const orderOf = (f: Fault) => ORDER[f.kind === "quirk" ? f.name : f.kind];

/** The index just after the n-th chunk (or after the last chunk, when there are fewer). */
function afterChunks(events: readonly StreamEvent[], n: number): number {
  if (n === 0) {
    const first = events.findIndex((e) => e.kind === "chunk");
    return first === -1 ? events.length : first;
  }
  let seen = 0;
  for (let i = 0; i < events.length; i++) {
    if (events[i]?.kind === "chunk" && ++seen === n) return i + 1;
  }
  const lastChunk = events.findLastIndex((e) => e.kind === "chunk");
  return lastChunk + 1;
}

/** When the event at `index` would have been sent (or the previous one's time at the end). */
function timeAt(events: readonly StreamEvent[], index: number): number {
  return events[index]?.at ?? events[index - 1]?.at ?? 0;
}

/** Keeps the first n chunks (and the comments among them), then puts `tail` in place of the rest. */
function cutAfter(events: StreamEvent[], n: number, tail: (at: number) => StreamEvent[]): StreamEvent[] {
  const i = n === 0 ? 0 : afterChunks(events, n);
  return [...events.slice(0, i), ...tail(timeAt(events, i))];
}

function shiftFrom(events: StreamEvent[], index: number, ms: number): StreamEvent[] {
  return events.map((e, i) => (i < index ? e : { ...e, at: e.at + ms }));
}

const frameOf = (e: StreamEvent): string | undefined => (e.kind === "chunk" || e.kind === "comment" ? e.frame : undefined);

function rewriteFrames(events: StreamEvent[], rewrite: (frame: string, e: StreamEvent) => string): StreamEvent[] {
  return events.map((e) => {
    const frame = frameOf(e);
    if (frame !== undefined) return { ...e, frame: rewrite(frame, e) } as StreamEvent;
    if (e.kind === "raw" && typeof e.bytes === "string") return { ...e, bytes: rewrite(e.bytes, e) };
    return e;
  });
}

/** Splits the first chunk holding a multi-byte character inside that character, across two writes. */
function splitUtf8(events: StreamEvent[]): StreamEvent[] {
  const index = events.findIndex((e) => e.kind === "chunk" && Buffer.byteLength(e.frame) !== e.frame.length);
  const target =
    index === -1
      ? events.findIndex((e) => e.kind === "chunk" && e.frame.includes('"content":"') && !e.frame.includes('"content":""'))
      : index;
  const event = events[target];
  if (event?.kind !== "chunk") return events;
  const bytes = Buffer.from(event.frame, "utf8");
  let cut = Math.floor(bytes.length / 2);
  const firstMultiByte = bytes.findIndex((b) => b >= 0x80);
  // Inside the character: after its first byte. Without one, the JSON itself is split.
  if (firstMultiByte !== -1) cut = firstMultiByte + 1;
  return [
    ...events.slice(0, target),
    { kind: "raw", at: event.at, bytes: bytes.subarray(0, cut) },
    { kind: "raw", at: event.at + 5, bytes: bytes.subarray(cut) },
    ...shiftFrom(events.slice(target + 1), 0, 5),
  ];
}

function applyQuirk(plan: StreamPlan, name: QuirkName, frames: FaultFrames): StreamPlan {
  const events = plan.events;
  switch (name) {
    case "usage-chunk": {
      const i = events.findIndex((e) => e.kind === "chunk" && e.finish);
      if (i === -1) return plan;
      const at = (events[i] as StreamEvent).at;
      return {
        ...plan,
        events: [
          ...events.slice(0, i),
          { kind: "chunk", at, frame: frames.finishWithoutUsage(), finish: true },
          { kind: "chunk", at, frame: frames.usageOnly() },
          ...events.slice(i + 1),
        ],
      };
    }
    case "no-done":
      return { ...plan, events: events.map((e) => (e.kind === "done" ? { kind: "end", at: e.at } : e)) };
    case "raw-error-line": {
      const line = `${JSON.stringify({ error: { code: 502, message: "Provider returned error", metadata: {} } })}\n`;
      return {
        ...plan,
        events: cutAfter(events, 1, (at) => [
          { kind: "raw", at, bytes: line },
          { kind: "end", at },
        ]),
      };
    }
    case "keepalive-flood":
      return {
        ...plan,
        events: events.flatMap((e) =>
          e.kind === "chunk"
            ? [...Array.from({ length: 20 }, () => ({ kind: "comment", at: e.at, frame: KEEP_ALIVE_FRAME }) as StreamEvent), e]
            : [e],
        ),
      };
    case "event-lines":
      return {
        ...plan,
        events: rewriteFrames(events, (frame) =>
          frame.startsWith("data:") ? `event: ${frame.includes('"error":') ? "error" : "message"}\n${frame}` : frame,
        ),
      };
    case "crlf": {
      const rewritten = rewriteFrames(events, (frame) => frame.replace(/\n/g, "\r\n"));
      const crlf = rewritten.flatMap((e): StreamEvent[] =>
        e.kind === "done"
          ? [
              { kind: "raw", at: e.at, bytes: "data: [DONE]\r\n\r\n" },
              { kind: "end", at: e.at },
            ]
          : [e],
      );
      return { ...plan, events: crlf };
    }
    case "split-utf8":
      return { ...plan, events: splitUtf8(events) };
  }
}

function applyOne(plan: StreamPlan, fault: Fault, frames: FaultFrames): StreamPlan {
  const events = plan.events;
  switch (fault.kind) {
    case "http":
      return plan; // answered before any stream (see the chat route)
    case "error":
      return {
        ...plan,
        events: cutAfter(events, fault.at, (at) => [
          { kind: "chunk", at, frame: frames.error() },
          { kind: "end", at },
        ]),
      };
    case "disconnect":
      return { ...plan, events: cutAfter(events, fault.at, (at) => [{ kind: "destroy", at }]) };
    case "truncate":
      return { ...plan, events: cutAfter(events, fault.at, (at) => [{ kind: "end", at }]) };
    case "stall": {
      if (fault.ms === undefined) return { ...plan, events: cutAfter(events, fault.at, (at) => [{ kind: "stall", at }]) };
      return { ...plan, events: shiftFrom(events, afterChunks(events, fault.at), fault.ms) };
    }
    case "slow":
      return { ...plan, events: shiftFrom(events, afterChunks(events, fault.at), fault.ms) };
    case "malformed": {
      const i = afterChunks(events, fault.at);
      const at = timeAt(events, i);
      return {
        ...plan,
        events: [
          ...events.slice(0, i),
          {
            kind: "raw",
            at,
            bytes: MALFORMED_LINE,
          },
          ...events.slice(i),
        ],
      };
    }
    case "ttfb":
      return { headersAt: plan.headersAt + fault.ms, events: shiftFrom(events, 0, fault.ms) };
    case "quirk":
      return applyQuirk(plan, fault.name, frames);
  }
}

export function applyFaults(plan: StreamPlan, faults: readonly Fault[], frames: FaultFrames): StreamPlan {
  return [...faults].sort((a, b) => orderOf(a) - orderOf(b)).reduce((p, f) => applyOne(p, f, frames), plan);
}
