import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/index.js";

// Generous tolerances: the machine is shared and noisy. These check the schedule's shape, not speed.
let mock: MockServer;
const CONTENT = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");

beforeAll(async () => {
  mock = await startMockServer({
    scenarios: [{ name: "timed", reply: { content: CONTENT }, stream: { chunk: "token:2", ttftMs: 1200, tps: 100, jitter: 0 } }],
  });
});
afterAll(() => mock.close());

interface Arrival {
  ms: number;
  event: string;
}

/** Streams one request and stamps each SSE event with its arrival time. */
function timedStream(): Promise<Arrival[]> {
  const target = new URL(`${mock.url}/chat/completions`);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const arrivals: Arrival[] = [];
    let buffer = "";
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { authorization: "Bearer k" } },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          buffer += d;
          let end = buffer.indexOf("\n\n");
          while (end !== -1) {
            arrivals.push({ ms: performance.now() - t0, event: buffer.slice(0, end) });
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
          }
        });
        res.on("end", () => resolve(arrivals));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ model: "openai/gpt-4o", stream: true, messages: [{ role: "user", content: "go" }] }));
  });
}

describe("stream timing", () => {
  it("sends keep-alive comments until the first token, then tokens at the set rate", async () => {
    const arrivals = await timedStream();
    const comments = arrivals.filter((a) => a.event.startsWith(":"));
    const content = arrivals.filter((a) => a.event.includes('"content":"') && !a.event.includes('"content":""'));
    // Keep-alives at 0 and 1000 ms, both before the first token at 1200 ms.
    expect(comments.map((c) => c.event)).toEqual([": OPENROUTER PROCESSING", ": OPENROUTER PROCESSING"]);
    expect(comments.every((c) => c.ms < (content[0]?.ms ?? 0))).toBe(true);

    const first = content[0]?.ms ?? 0;
    expect(first).toBeGreaterThanOrEqual(1190);
    expect(first).toBeLessThan(1200 + 800);

    // Chunks of 2 tokens at 100 tokens/s: 20 ms apart on average.
    const last = content.at(-1)?.ms ?? 0;
    const meanGap = (last - first) / (content.length - 1);
    expect(meanGap).toBeGreaterThan(20 * 0.6);
    expect(meanGap).toBeLessThan(20 * 2.5);
  });
});

describe("latency selection", () => {
  const send = async (url: string, headers: Record<string, string>) => {
    const res = await fetch(`${url}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer k", ...headers },
      body: JSON.stringify({ model: "openai/gpt-4o", stream: true, messages: [{ role: "user", content: "short" }] }),
    });
    return { status: res.status, text: await res.text() };
  };

  it("x-mock-latency picks a preset for one request, and a bad preset is a 400", async () => {
    const server = await startMockServer({ scenarios: [{ name: "s", reply: { content: "Hi." } }] });
    try {
      expect((await send(server.url, {})).text.startsWith("data: ")).toBe(true);
      expect((await send(server.url, { "x-mock-latency": "fast" })).text.startsWith(": OPENROUTER PROCESSING\n\n")).toBe(true);
      const bad = await send(server.url, { "x-mock-latency": "warp" });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain("x-mock-latency");
    } finally {
      await server.close();
    }
  });

  it("a scenario's stream.latency overrides the server's, and the header overrides the scenario", async () => {
    const server = await startMockServer({ scenarios: [{ name: "s", reply: { content: "Hi." }, stream: { latency: "fast" } }] });
    try {
      expect((await send(server.url, {})).text.startsWith(": OPENROUTER PROCESSING")).toBe(true);
      expect((await send(server.url, { "x-mock-latency": "none" })).text.startsWith("data: ")).toBe(true);
    } finally {
      await server.close();
    }
  });
});
