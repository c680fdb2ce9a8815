/**
 * Faults on live upstream traffic, where the stream is not known in advance: the same @N faults as
 * src/faults/apply.ts, decided as chunks pass. Quirks reshape whole streams and apply only to
 * scenario and cassette answers.
 */
import type { Fault } from "./fault-spec.js";

export const MALFORMED_LINE = 'data: {"id":"gen-malformed","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\n\n';

export type LiveStep = { kind: "write"; text: string } | { kind: "pause"; ms: number } | { kind: "stop"; how: "end" | "destroy" | "stall" };

export interface LiveFaults {
  /** How long the status line and headers wait. */
  headerDelayMs: number;
  /** What happens once `count` chunks have reached the client (0: before the first). */
  after(count: number): LiveStep[];
}

export function liveFaults(faults: readonly Fault[], errorFrame: () => string): LiveFaults | undefined {
  const active = faults.filter((f) => f.kind !== "http" && f.kind !== "quirk");
  if (active.length === 0) return undefined;
  return {
    headerDelayMs: active.reduce((ms, f) => (f.kind === "ttfb" ? ms + f.ms : ms), 0),
    after(count) {
      const steps: LiveStep[] = [];
      for (const f of active) {
        if (!("at" in f) || f.at !== count) continue;
        switch (f.kind) {
          case "slow":
            steps.push({ kind: "pause", ms: f.ms });
            break;
          case "stall":
            steps.push(f.ms === undefined ? { kind: "stop", how: "stall" } : { kind: "pause", ms: f.ms });
            break;
          case "malformed":
            steps.push({ kind: "write", text: MALFORMED_LINE });
            break;
          case "error":
            steps.push({ kind: "write", text: errorFrame() }, { kind: "stop", how: "end" });
            break;
          case "disconnect":
            steps.push({ kind: "stop", how: "destroy" });
            break;
          case "truncate":
            steps.push({ kind: "stop", how: "end" });
            break;
        }
      }
      return steps;
    },
  };
}
