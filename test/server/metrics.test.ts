import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/index.js";

describe("GET /metrics", () => {
  it("counts requests by model, source and status, faults, tokens and cost, in the Prometheus text format", async () => {
    const app = createApp({ scenarios: [{ name: "hello", reply: { content: "Hello there, friend." } }] });
    const send = (headers: Record<string, string> = {}) =>
      request(app)
        .post("/api/v1/chat/completions")
        .set({ authorization: "Bearer k", ...headers })
        .send({ model: "openai/gpt-4o", stream: false, messages: [{ role: "user", content: "hi" }] });
    await send();
    await send();
    await send({ "x-mock-fault": "http:429" });
    const res = await request(app).get("/metrics");
    expect(res.headers["content-type"]).toContain("text/plain");
    const text = res.text;
    expect(text).toContain('cline_mock_requests_total{model="openai/gpt-4o",source="scenario:hello",status="200"} 2');
    expect(text).toContain('cline_mock_requests_total{model="openai/gpt-4o",source="scenario:hello",status="429"} 1');
    expect(text).toContain('cline_mock_faults_total{fault="http:429"} 1');
    expect(text).toMatch(/cline_mock_tokens_total\{model="openai\/gpt-4o",kind="completion"\} \d+/);
    const cost = Number(/cline_mock_cost_usd_total\{model="openai\/gpt-4o"\} ([\d.e-]+)/.exec(text)?.[1]);
    expect(cost).toBeGreaterThan(0);
    expect(text).toContain("# TYPE cline_mock_open_requests gauge");
    expect(text).toMatch(/cline_mock_open_requests 0/);
  });
});
