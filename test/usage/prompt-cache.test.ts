import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/index.js";

const system = { role: "system", content: "You are a careful assistant. ".repeat(40) };
const turn1 = [system, { role: "user", content: "First question about caching?" }];
const turn2 = [...turn1, { role: "assistant", content: "An answer." }, { role: "user", content: "A follow-up question." }];

function send(app: ReturnType<typeof createApp>, messages: unknown[], opts: { model?: string; session?: string } = {}) {
  const r = request(app)
    .post("/api/v1/chat/completions")
    .set("authorization", "Bearer k")
    .send({ model: opts.model ?? "anthropic/claude-sonnet-4-6", stream: false, messages });
  return opts.session ? r.set("x-mock-session", opts.session) : r;
}

const usageOf = async (r: ReturnType<typeof send>) => (await r).body.usage;

describe("--prompt-cache", () => {
  it("reports a message prefix seen before for the model as cached and charges it at the cached price", async () => {
    const app = createApp({ promptCache: true, scenarios: [{ name: "a", reply: { content: "ok" } }] });
    const first = await usageOf(send(app, turn1));
    expect(first.prompt_tokens_details.cached_tokens).toBe(0);
    const second = await usageOf(send(app, turn2));
    // The whole first turn (system + user) is the cached prefix: more than the system prompt alone,
    // less than the new prompt.
    expect(second.prompt_tokens_details.cached_tokens).toBeGreaterThan(first.prompt_tokens - 10);
    expect(second.prompt_tokens_details.cached_tokens).toBeLessThan(second.prompt_tokens);
    const uncached = second.prompt_tokens - second.prompt_tokens_details.cached_tokens;
    const expected = (uncached * 3 + second.prompt_tokens_details.cached_tokens * 0.3 + second.completion_tokens * 15) / 1e6;
    expect(second.cost).toBeCloseTo(expected, 9);
  });

  it("keeps caches apart per model and per x-mock-session, and POST /_mock/reset clears them", async () => {
    const app = createApp({ promptCache: true, scenarios: [{ name: "a", reply: { content: "ok" } }] });
    await send(app, turn1);
    expect((await usageOf(send(app, turn2, { model: "openai/gpt-4o" }))).prompt_tokens_details.cached_tokens).toBe(0);
    expect((await usageOf(send(app, turn2, { session: "other" }))).prompt_tokens_details.cached_tokens).toBe(0);
    await request(app).post("/_mock/reset");
    expect((await usageOf(send(app, turn2))).prompt_tokens_details.cached_tokens).toBe(0);
  });

  it("is off by default", async () => {
    const app = createApp({ scenarios: [{ name: "a", reply: { content: "ok" } }] });
    await send(app, turn1);
    expect((await usageOf(send(app, turn1))).prompt_tokens_details.cached_tokens).toBe(0);
  });
});
