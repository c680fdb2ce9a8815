import { describe, expect, it } from "vitest";
import { argumentsFor } from "../../src/scenarios/tool-arguments.js";

describe("argumentsFor", () => {
  it("fills every required property with a value of its type", () => {
    const args = argumentsFor(
      {
        type: "object",
        properties: {
          city: { type: "string" },
          unit: { type: "string", enum: ["celsius", "fahrenheit"] },
          days: { type: "integer", minimum: 1 },
          detailed: { type: "boolean" },
          tags: { type: "array", items: { type: "string" } },
          where: { type: "object", properties: { lat: { type: "number" } }, required: ["lat"] },
          optional: { type: "string" },
        },
        required: ["city", "unit", "days", "detailed", "tags", "where"],
      },
      "Paris",
    );
    expect(args).toEqual({ city: "Paris", unit: "celsius", days: 1, detailed: true, tags: ["Paris"], where: { lat: 1 } });
  });

  it("fills all properties when none are marked required, and copes with no schema", () => {
    expect(argumentsFor({ type: "object", properties: { q: { type: "string" } } }, "")).toEqual({ q: "q" });
    expect(argumentsFor(undefined, "x")).toEqual({});
  });
});
