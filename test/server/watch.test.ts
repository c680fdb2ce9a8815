import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { startMockServer } from "../../src/index.js";

const scenario = (content: string) => `name: watched\nreply: { content: "${content}" }\n`;

async function answer(url: string): Promise<string | undefined> {
  const res = await fetch(`${url}/chat/completions`, {
    method: "POST",
    headers: { authorization: "Bearer k" },
    body: JSON.stringify({ model: "a/b", stream: false, messages: [{ role: "user", content: "hi" }] }),
  });
  return ((await res.json()) as { choices?: Array<{ message: { content: string } }> }).choices?.[0]?.message.content;
}

/** Asks until the answer is `want`, for up to 10 s (the file watcher reports changes on its own time). */
async function eventually(url: string, want: string): Promise<string | undefined> {
  let got: string | undefined;
  for (let i = 0; i < 100; i++) {
    got = await answer(url);
    if (got === want) return got;
    await sleep(100);
  }
  return got;
}

describe("--watch", () => {
  it("reloads a scenario file that changes, and keeps the old scenarios when the new file is broken", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cline-mock-watch-"));
    writeFileSync(join(dir, "a.yaml"), scenario("first version"));
    const mock = await startMockServer({ scenarios: dir, watch: true });
    try {
      expect(await answer(mock.url)).toBe("first version");
      writeFileSync(join(dir, "a.yaml"), scenario("second version"));
      expect(await eventually(mock.url, "second version")).toBe("second version");
      // The watcher says on stderr when it refuses a reload: wait for that line, then ask.
      const lines: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
        lines.push(String(chunk));
        return write(chunk as string, ...(rest as []));
      });
      try {
        writeFileSync(join(dir, "a.yaml"), "name: watched\nreply: { content: [unclosed\n");
        writeFileSync(join(dir, "b.yaml"), scenario("never loaded"));
        for (let i = 0; i < 100 && !lines.some((l) => l.includes("not reloaded")); i++) await sleep(100);
      } finally {
        spy.mockRestore();
      }
      expect(lines.join("")).toMatch(/not reloaded, the files in place stay: .*a\.yaml, line \d+/);
      expect(await answer(mock.url)).toBe("second version");
    } finally {
      await mock.close();
    }
  });

  it("is off by default", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cline-mock-nowatch-"));
    writeFileSync(join(dir, "a.yaml"), scenario("fixed"));
    const mock = await startMockServer({ scenarios: dir });
    try {
      writeFileSync(join(dir, "a.yaml"), scenario("changed"));
      await sleep(500);
      expect(await answer(mock.url)).toBe("fixed");
    } finally {
      await mock.close();
    }
  });
});
