import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startMockServer } from "../../src/index.js";
import { startUpstream } from "./upstream-fixture.js";

const body = JSON.stringify({ model: "anthropic/claude-sonnet-4-6", stream: false, messages: [{ role: "user", content: "same body" }] });
const ask = (url: string, title: string) =>
  fetch(`${url}/chat/completions`, {
    method: "POST",
    headers: { authorization: "Bearer k", "content-type": "application/json", "x-title": title },
    body,
  }).then(async (res) => ({
    status: res.status,
    content: ((await res.json()) as { choices?: Array<{ message: { content: string } }> }).choices?.[0]?.message.content,
  }));

describe("--match-headers", () => {
  it("makes the named headers part of matching: the same body under two titles replays two recordings", async () => {
    const up = await startUpstream({ gapMs: 0 });
    const dir = mkdtempSync(join(tmpdir(), "cline-mock-match-headers-"));
    const recorder = await startMockServer({ mode: "record", upstream: up.url, cassettes: dir, matchHeaders: ["X-Title"] });
    const recordedA = await ask(recorder.url, "app-a");
    const recordedB = await ask(recorder.url, "app-b");
    await recorder.close();
    await up.close();
    expect(recordedA.content).not.toBe(recordedB.content);

    const replay = await startMockServer({ cassettes: dir, matchHeaders: "x-title" });
    try {
      // Asked in the other order: each title still gets its own recording.
      expect(await ask(replay.url, "app-b")).toEqual(recordedB);
      expect(await ask(replay.url, "app-a")).toEqual(recordedA);
      const other = await fetch(`${replay.url}/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer k", "content-type": "application/json", "x-title": "app-c", "x-mock-cassette": "default" },
        body,
      });
      expect(other.status).toBe(404);
    } finally {
      await replay.close();
    }

    // Without the option the headers do not count: the same body gets the recordings in order.
    const plain = await startMockServer({ cassettes: dir });
    try {
      expect(await ask(plain.url, "app-b")).toEqual(recordedA);
    } finally {
      await plain.close();
    }
  });
});
