import { describe, expect, it } from "vitest";
import { parseFaultList, parseFaultSpec } from "../../src/faults/fault-spec.js";

describe("parseFaultSpec", () => {
  it("reads every fault of the grammar", () => {
    const cases: Array<[string, unknown]> = [
      ["http:429", { kind: "http", status: 429 }],
      ["http:400:context", { kind: "http", status: 400, variant: "context" }],
      ["error@3", { kind: "error", at: 3 }],
      ["disconnect@0", { kind: "disconnect", at: 0 }],
      ["stall@2", { kind: "stall", at: 2 }],
      ["stall@2:500", { kind: "stall", at: 2, ms: 500 }],
      ["malformed@1", { kind: "malformed", at: 1 }],
      ["truncate@4", { kind: "truncate", at: 4 }],
      ["slow@2:250", { kind: "slow", at: 2, ms: 250 }],
      ["ttfb:800", { kind: "ttfb", ms: 800 }],
      ["quirk:crlf", { kind: "quirk", name: "crlf" }],
    ];
    for (const [text, fault] of cases) expect(parseFaultSpec(text)).toEqual({ text, faults: [fault] });
  });

  it("joins several faults with + or ,", () => {
    const spec = parseFaultSpec("ttfb:100 + error@3,quirk:crlf");
    expect(spec).toEqual({
      text: "ttfb:100+error@3+quirk:crlf",
      faults: [
        { kind: "ttfb", ms: 100 },
        { kind: "error", at: 3 },
        { kind: "quirk", name: "crlf" },
      ],
    });
  });

  it("none means no fault", () => {
    expect(parseFaultSpec("none")).toEqual({ text: "none", faults: [] });
  });

  it("explains what is wrong", () => {
    expect(parseFaultSpec("http:200")).toMatch(/error status from 400 to 599/);
    expect(parseFaultSpec("http:503:context")).toMatch(/context variant is a 400/);
    expect(parseFaultSpec("slow@2")).toMatch(/slow needs a pause/);
    expect(parseFaultSpec("quirk:teapot")).toMatch(/unknown quirk; quirks are event-lines/);
    expect(parseFaultSpec("explode")).toMatch(/"explode" is not a fault; faults are http:STATUS/);
    expect(parseFaultSpec("http:429+http:503")).toMatch(/only one http: fault/);
    expect(parseFaultSpec("ttfb:9999999")).toMatch(/at most/);
    expect(parseFaultSpec("")).toMatch(/is empty/);
  });
});

describe("parseFaultList", () => {
  it("reads comma-separated specs, each of which may join faults with +", () => {
    const list = parseFaultList("http:429,ttfb:50+error@2");
    expect(Array.isArray(list) && list.map((s) => s.text)).toEqual(["http:429", "ttfb:50+error@2"]);
    expect(parseFaultList("http:429,nope")).toMatch(/"nope" is not a fault/);
  });
});
