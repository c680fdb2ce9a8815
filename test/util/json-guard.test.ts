import { describe, expect, it } from "vitest";
import { guardJson } from "../../src/util/json-guard.js";

describe("guardJson", () => {
  it("finds a __proto__ key anywhere and names its path", () => {
    const value = JSON.parse('{"messages":[{"role":"user"},{"content":{"__proto__":{"x":1}}}]}');
    expect(guardJson(value, 64)).toEqual({ kind: "proto", path: ["messages", 1, "content", "__proto__"] });
  });

  it("refuses nesting past the limit, and a value that contains itself, without recursing", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(guardJson(deep, 64)).toEqual({ kind: "depth", limit: 64 });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(guardJson(cycle, 64)).toEqual({ kind: "depth", limit: 64 });
  });

  it("passes ordinary values, constructor and prototype keys included", () => {
    expect(guardJson({ a: [1, { b: "c" }], constructor: { prototype: 1 } }, 64)).toBeUndefined();
    expect(guardJson("text", 64)).toBeUndefined();
  });
});
