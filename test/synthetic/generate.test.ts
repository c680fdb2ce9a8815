import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/index.js";
import { syntheticAnswer, topicOf } from "../../src/synthetic/generate.js";
import { countTokens } from "../../src/usage/tokens.js";
import { makeRng } from "../../src/util/random.js";

describe("synthetic answers", () => {
  it("are the same for the same generator and reach the token target", () => {
    const a = syntheticAnswer({ message: "how do I tune postgres indexes?", tokens: 200, rng: makeRng("1", "x") });
    expect(syntheticAnswer({ message: "how do I tune postgres indexes?", tokens: 200, rng: makeRng("1", "x") })).toBe(a);
    expect(syntheticAnswer({ message: "how do I tune postgres indexes?", tokens: 200, rng: makeRng("2", "x") })).not.toBe(a);
    expect(countTokens(a)).toBeGreaterThanOrEqual(200);
    expect(countTokens(a)).toBeLessThan(260);
    expect(a).toContain("postgres");
  });

  it("take the topic from the user's longest words", () => {
    expect(topicOf("Explain kubernetes deployments")).toBe("deployments, kubernetes and explain");
    expect(topicOf("hi")).toBe("this");
  });

  it("a generate: reply answers with text of the set length, with reasoning only for reasoning models", async () => {
    const app = createApp({ scenarios: [{ name: "g", reply: { generate: { tokens: 150 } } }] });
    const ask = (model: string) =>
      request(app)
        .post("/api/v1/chat/completions")
        .set("authorization", "Bearer k")
        .send({ model, stream: false, messages: [{ role: "user", content: "compare sqlite and postgres" }] });
    const plain = (await ask("openai/gpt-4o")).body;
    expect(plain.choices[0].message.reasoning).toBeUndefined();
    expect(plain.usage.completion_tokens).toBeGreaterThanOrEqual(150);
    const reasoning = (await ask("anthropic/claude-sonnet-4-6")).body;
    expect(reasoning.choices[0].message.reasoning).toContain("postgres");
    expect(reasoning.usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(50);
  });

  it("--on-miss fallback answers unmatched requests with generated text", async () => {
    const app = createApp({ onMiss: "fallback", scenarios: [{ name: "only", match: { model: "none/none" }, reply: { content: "x" } }] });
    const res = await request(app)
      .post("/api/v1/chat/completions")
      .set("authorization", "Bearer k")
      .send({ model: "openai/gpt-4o", stream: false, messages: [{ role: "user", content: "describe the moon landing" }] });
    expect(res.status).toBe(200);
    expect(res.headers["x-mock-source"]).toBe("fallback");
    expect(res.body.choices[0].message.content).toContain("landing");
  });
});
