import { describe, expect, it } from "vitest";
import { applyFaults, type FaultFrames } from "../../src/faults/apply.js";
import { type Fault, parseFaultSpec } from "../../src/faults/fault-spec.js";
import type { StreamEvent, StreamPlan } from "../../src/stream/events.js";

const frames: FaultFrames = { error: () => "ERR", finishWithoutUsage: () => "FIN-NO-USAGE", usageOnly: () => "USAGE" };

/** A stream of 5 chunks 10 ms apart (the last is the finish chunk), a keep-alive first, then done. */
function plan(): StreamPlan {
  const events: StreamEvent[] = [{ kind: "comment", at: 0, frame: ": keep\n\n" }];
  for (let i = 1; i <= 4; i++) events.push({ kind: "chunk", at: i * 10, frame: `c${i}` });
  events.push({ kind: "chunk", at: 50, frame: "finish", finish: true });
  events.push({ kind: "done", at: 50 });
  return { headersAt: 0, events };
}

const faults = (text: string): Fault[] => {
  const spec = parseFaultSpec(text);
  if (typeof spec === "string") throw new Error(spec);
  return spec.faults;
};
const apply = (text: string) => applyFaults(plan(), faults(text), frames);
const shape = (p: StreamPlan) =>
  p.events.map((e) => (e.kind === "chunk" || e.kind === "comment" ? e.frame : e.kind === "raw" ? `raw:${String(e.bytes)}` : e.kind));

describe("applyFaults", () => {
  it("error@N keeps N chunks, then the error chunk, then a clean end without [DONE]", () => {
    expect(shape(apply("error@2"))).toEqual([": keep\n\n", "c1", "c2", "ERR", "end"]);
    expect(apply("error@2").events.at(-2)?.at).toBe(30);
  });

  it("@0 breaks before the first chunk, and @N past the end breaks after the last chunk", () => {
    expect(shape(apply("disconnect@0"))).toEqual(["destroy"]);
    expect(shape(apply("truncate@99"))).toEqual([": keep\n\n", "c1", "c2", "c3", "c4", "finish", "end"]);
  });

  it("disconnect, stall and truncate end the stream their own way", () => {
    expect(shape(apply("disconnect@3")).slice(-1)).toEqual(["destroy"]);
    expect(shape(apply("stall@3"))).toEqual([": keep\n\n", "c1", "c2", "c3", "stall"]);
    expect(shape(apply("truncate@1"))).toEqual([": keep\n\n", "c1", "end"]);
  });

  it("stall@N:MS and slow@N:MS delay everything after chunk N by MS", () => {
    for (const text of ["stall@2:100", "slow@2:100"]) {
      const events = apply(text).events;
      expect(shape({ headersAt: 0, events })).toEqual(shape(plan()));
      expect(events.map((e) => e.at)).toEqual([0, 10, 20, 130, 140, 150, 150]);
    }
  });

  it("ttfb:MS delays the headers and every event", () => {
    const p = apply("ttfb:200");
    expect(p.headersAt).toBe(200);
    expect(p.events[0]?.at).toBe(200);
  });

  it("malformed@N inserts one non-JSON data line and goes on", () => {
    const s = shape(apply("malformed@1"));
    expect(s[2]).toMatch(/^raw:data: \{"id":"gen-malformed"/);
    expect(s.slice(-2)).toEqual(["finish", "done"]);
  });

  it("quirks reshape the stream", () => {
    expect(shape(apply("quirk:usage-chunk")).slice(-3)).toEqual(["FIN-NO-USAGE", "USAGE", "done"]);
    expect(shape(apply("quirk:no-done")).at(-1)).toBe("end");
    expect(shape(apply("quirk:raw-error-line"))).toEqual([
      ": keep\n\n",
      "c1",
      'raw:{"error":{"code":502,"message":"Provider returned error","metadata":{}}}\n',
      "end",
    ]);
    expect(shape(apply("quirk:keepalive-flood")).filter((f) => f.startsWith(":")).length).toBe(1 + 5 * 20);
    expect(shape(apply("quirk:crlf")).slice(-2)).toEqual(["raw:data: [DONE]\r\n\r\n", "end"]);
    expect(shape(apply("quirk:event-lines"))[0]).toBe(": keep\n\n");
  });

  it("faults compose in one fixed order whatever order they are written in", () => {
    expect(shape(apply("error@2+ttfb:100"))).toEqual(shape(apply("ttfb:100+error@2")));
    const composed = apply("ttfb:100+slow@1:50+error@3");
    expect(composed.headersAt).toBe(100);
    expect(shape(composed)).toEqual([": keep\n\n", "c1", "c2", "c3", "ERR", "end"]);
    expect(composed.events.map((e) => e.at)).toEqual([100, 110, 170, 180, 190, 190]);
  });

  it("split-utf8 cuts the first multi-byte character across two writes", () => {
    const p: StreamPlan = {
      headersAt: 0,
      events: [
        { kind: "chunk", at: 0, frame: 'data: {"content":"héllo"}\n\n' },
        { kind: "done", at: 0 },
      ],
    };
    const out = applyFaults(p, faults("quirk:split-utf8"), frames).events;
    const raws = out.filter((e): e is Extract<StreamEvent, { kind: "raw" }> => e.kind === "raw");
    expect(raws).toHaveLength(2);
    const [a, b] = raws.map((r) => r.bytes as Buffer);
    expect(Buffer.concat([a as Buffer, b as Buffer]).toString("utf8")).toBe('data: {"content":"héllo"}\n\n');
    expect((a as Buffer).toString("utf8")).toContain("\ufffd");
    expect(raws[1]?.at).toBeGreaterThan(raws[0]?.at ?? 0);
  });
});
