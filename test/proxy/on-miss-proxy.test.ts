import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/index.js";
import { defaultContent, startUpstream, type Upstream } from "./upstream-fixture.js";

let up: Upstream;
let mock: MockServer;
const cassettes = mkdtempSync(join(tmpdir(), "cline-mock-onmiss-"));

beforeAll(async () => {
  up = await startUpstream({ gapMs: 1 });
  mock = await startMockServer({
    latency: "none",
    onMiss: "proxy",
    upstream: up.url,
    upstreamKey: "sk-upstream-key-for-the-test-0001",
    cassettes,
    scenarios: [{ name: "scripted", match: { lastUserMessage: "scripted" }, reply: { content: "From a scenario." } }],
  });
});
afterAll(async () => {
  await mock.close();
  await up.close();
});

const ask = (content: string, headers: Record<string, string> = { authorization: "Bearer client" }) =>
  fetch(`${mock.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "anthropic/claude-sonnet-4-6", stream: false, messages: [{ role: "user", content }] }),
  });

describe("--on-miss proxy", () => {
  it("answers matching requests from scenarios and sends the rest upstream, recording nothing", async () => {
    const scripted = await ask("scripted please");
    expect(scripted.headers.get("x-mock-source")).toBe("scenario:scripted");
    expect(up.requests).toHaveLength(0);

    const proxied = await ask("anything else");
    expect(proxied.headers.get("x-mock-source")).toBe("upstream");
    const body = (await proxied.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toBe(defaultContent({ messages: [{ role: "user", content: "anything else" }] }, 1));
    expect(up.requests).toHaveLength(1);
    expect(readdirSync(cassettes)).toEqual([]);
  });

  it("lets a client without a key through, sending the upstream key instead", async () => {
    const res = await ask("no key here", {});
    expect(res.status).toBe(200);
    expect(up.requests.at(-1)?.headers.authorization).toBe("Bearer sk-upstream-key-for-the-test-0001");
  });
});
