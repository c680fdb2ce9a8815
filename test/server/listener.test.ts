import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/index.js";

// startMockServer answers the chat endpoint without Express's router; these check that path
// gives the same errors and headers as the Express app does.
let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer({ maxBodyBytes: 2000, scenarios: [{ name: "ok", reply: { content: "fine" } }] });
});
afterAll(() => mock.close());

const post = (body: string, headers: Record<string, string> = {}, path = "/api/v1/chat/completions") =>
  fetch(`${mock.origin}${path}`, {
    method: "POST",
    headers: { authorization: "Bearer k", "content-type": "application/json", ...headers },
    body,
  });

describe("the chat endpoint on a listening server", () => {
  it("answers malformed JSON with a 400 envelope and an x-request-id", async () => {
    const res = await post("{");
    expect(res.status).toBe(400);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/Malformed JSON/);
  });

  it("answers an oversized body with a 413 envelope", async () => {
    const res = await post(JSON.stringify({ model: "a/b", messages: [{ role: "user", content: "x".repeat(5000) }] }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: number; message: string } }).error).toMatchObject({ code: 413 });
  });

  it("treats special-token text in a message as plain text", async () => {
    const res = await post(
      JSON.stringify({ model: "a/b", stream: false, messages: [{ role: "user", content: "<|endoftext|><|im_start|>" }] }),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBeGreaterThan(5);
  });

  it("serves the /v1 alias, and leaves other routes and query strings to the Express app", async () => {
    expect(
      (await post(JSON.stringify({ model: "a/b", stream: false, messages: [{ role: "user", content: "hi" }] }), {}, "/v1/chat/completions"))
        .status,
    ).toBe(200);
    const withQuery = await post(
      JSON.stringify({ model: "a/b", stream: false, messages: [{ role: "user", content: "hi" }] }),
      {},
      "/api/v1/chat/completions?x=1",
    );
    expect(withQuery.status).toBe(200);
    expect((await fetch(`${mock.origin}/_mock/health`)).status).toBe(200);
  });
});
