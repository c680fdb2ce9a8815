import { describe, expect, it } from "vitest";
import type { StreamDelta } from "../../src/stream/deltas.js";
import { KEEP_ALIVE_FRAME } from "../../src/stream/events.js";
import { resolveLatency } from "../../src/stream/latency.js";
import { schedule } from "../../src/stream/schedule.js";
import { makeRng } from "../../src/util/random.js";

const deltas: StreamDelta[] = [
  { delta: { role: "assistant" }, tokens: 0 },
  ...Array.from({ length: 50 }, () => ({ delta: { content: "ab" }, tokens: 2 })),
];

const run = (ttftMs: number, tps: number, jitter: number) =>
  schedule({
    deltas,
    frame: (d) => `data: ${JSON.stringify(d)}\n\n`,
    finish: () => "data: finish\n\n",
    latency: { ...resolveLatency("none"), ttftMs, tps, jitter, keepAliveMs: 100 },
    rng: makeRng("0", "f"),
  });

describe("schedule", () => {
  it("sends keep-alive comments at a steady interval until the first token", () => {
    const events = run(450, 100, 0);
    const comments = events.filter((e) => e.kind === "comment");
    expect(comments.map((e) => e.at)).toEqual([0, 100, 200, 300, 400]);
    expect(comments.every((e) => e.kind === "comment" && e.frame === KEEP_ALIVE_FRAME)).toBe(true);
    expect(events.find((e) => e.kind === "chunk")?.at).toBe(450);
  });

  it("times each chunk from the stream's start by cumulative tokens, so there is no drift", () => {
    const events = run(0, 100, 0).filter((e) => e.kind === "chunk");
    // 50 chunks of 2 tokens at 100 tokens/s: the last content chunk is due at exactly 1000 ms.
    expect(events[50]?.at).toBe(1000);
    expect(events[10]?.at).toBe(200);
  });

  it("keeps jittered times within one gap of the ideal, in order, ending on time", () => {
    const events = run(0, 100, 0.5).filter((e) => e.kind === "chunk");
    for (let i = 1; i < events.length; i++) expect(events[i]?.at).toBeGreaterThanOrEqual(events[i - 1]?.at ?? 0);
    for (let i = 1; i <= 50; i++) expect(Math.abs((events[i]?.at ?? 0) - i * 20)).toBeLessThanOrEqual(20);
  });

  it("ends with the finish chunk and done", () => {
    const events = run(0, 100, 0);
    expect(events.at(-2)).toMatchObject({ kind: "chunk", frame: "data: finish\n\n" });
    expect(events.at(-1)?.kind).toBe("done");
  });

  it("with no latency everything is due at once", () => {
    const events = schedule({ deltas, frame: () => "x", finish: () => "y", latency: resolveLatency("none"), rng: makeRng("0", "f") });
    expect(events.every((e) => e.at === 0)).toBe(true);
  });
});
