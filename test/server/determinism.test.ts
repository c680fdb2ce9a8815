import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp, startMockServer } from "../../src/index.js";

const scenarios = [{ name: "long", reply: { reasoning: "Some reasoning to chunk up.", content: "A fairly long answer. ".repeat(30) } }];
const body = (content: string) => ({ model: "anthropic/claude-sonnet-4-6", stream: true, messages: [{ role: "user", content }] });

async function stream(url: string, content: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${url}/chat/completions`, {
    method: "POST",
    headers: { authorization: "Bearer k", "content-type": "application/json", ...headers },
    body: JSON.stringify(body(content)),
  });
  return res.text();
}

const contentChunks = (sse: string) =>
  sse
    .split("\n\n")
    .filter((e) => e.startsWith("data: {"))
    .map((e) => JSON.parse(e.slice(6)).choices[0].delta.content)
    .filter((c): c is string => typeof c === "string" && c !== "");

describe("determinism", () => {
  it("gives byte-identical streams for the same seed and request, whatever the order and concurrency", async () => {
    const a = await startMockServer({ scenarios, seed: 42 });
    const b = await startMockServer({ scenarios, seed: 42 });
    try {
      const prompts = ["one", "two", "three", "four", "five", "six"];
      const sequential: string[] = [];
      for (const p of prompts) sequential.push(await stream(a.url, p));
      const concurrent = await Promise.all([...prompts].reverse().map((p) => stream(b.url, p)));
      expect(concurrent.reverse()).toEqual(sequential);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a different seed gives different ids and chunk boundaries, with the same text", async () => {
    const app0 = createApp({ scenarios, seed: 0 });
    const app1 = createApp({ scenarios, seed: 1 });
    const send = (app: ReturnType<typeof createApp>) =>
      request(app)
        .post("/api/v1/chat/completions")
        .set("authorization", "Bearer k")
        .send(body("q"))
        .buffer(true)
        .parse((res, cb) => {
          let d = "";
          res.on("data", (c: Buffer) => {
            d += c.toString();
          });
          res.on("end", () => cb(null, d));
        });
    const s0 = (await send(app0)).body as string;
    const s1 = (await send(app1)).body as string;
    const id = (s: string) => JSON.parse((s.split("\n\n")[0] as string).slice(6)).id;
    expect(id(s0)).not.toBe(id(s1));
    expect(contentChunks(s0)).not.toEqual(contentChunks(s1));
    expect(contentChunks(s0).join("")).toBe(contentChunks(s1).join(""));
  });

  it("x-mock-seed overrides the server's seed for one request", async () => {
    const mock = await startMockServer({ scenarios, seed: 0 });
    try {
      const withHeader = await stream(mock.url, "q", { "x-mock-seed": "1" });
      const other = await startMockServer({ scenarios, seed: 1 });
      try {
        expect(withHeader).toBe(await stream(other.url, "q"));
      } finally {
        await other.close();
      }
      expect(withHeader).not.toBe(await stream(mock.url, "q"));
    } finally {
      await mock.close();
    }
  });
});
