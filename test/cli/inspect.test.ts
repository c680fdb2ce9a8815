/** `cline-mock inspect` and `cline-mock validate` on cassettes, run as users run them: the built bin (npm test builds first). */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cassetteSchema } from "../../src/cassettes/schema.js";
import { startMockServer } from "../../src/index.js";
import { defaultContent, startUpstream, usageFor } from "../proxy/upstream-fixture.js";

const BIN = fileURLToPath(new URL("../../bin/cline-mock", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tmpFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", timeout: 15_000 });
}

/** The table's rows as cells: columns are separated by at least two spaces. */
function rowsOf(stdout: string): string[][] {
  const lines = stdout.split("\n");
  const heading = lines.findIndex((l) => l.startsWith("#"));
  expect(heading).toBeGreaterThan(-1);
  expect(lines[heading + 1]).toMatch(/^-+( {2}-+)+$/);
  return [lines[heading] as string, ...lines.slice(heading + 2).filter((l) => l.trim() !== "")].map((l) => l.split(/ {2,}/));
}

const chunk = (content: string | null, finish: string | null = null, usage = "") =>
  JSON.stringify(
    JSON.parse(
      `{"id":"gen-77","object":"chat.completion.chunk","created":1767000000,"model":"anthropic/claude-sonnet-4-6","choices":[{"index":0,"delta":{"role":"assistant","content":${JSON.stringify(content)}},"finish_reason":${JSON.stringify(finish)}}]${usage}}`,
    ),
  );

const LONG = "Please summarise the following very long document about the history of Paris for me";

/** A cassette written by hand: a stream, a JSON answer with a long prompt, a recorded 429, and a stream that broke. */
function handWritten(): string {
  const usage = `,"usage":{"prompt_tokens":14,"completion_tokens":2,"total_tokens":16,"cost":0.000052}`;
  const cassette = {
    cassette: 1,
    recordedWith: "cline-mock",
    interactions: [
      {
        recordedAt: "2026-11-24T10:00:00.000Z",
        request: {
          method: "POST",
          path: "/api/v1/chat/completions",
          headers: { "x-title": "demo" },
          body: {
            model: "anthropic/claude-sonnet-4-6",
            messages: [
              { role: "system", content: "You are terse." },
              { role: "user", content: "What is the capital of France?" },
            ],
            stream: true,
          },
          fingerprint: "9f2c41d0a7b3e6f1",
        },
        response: {
          status: 200,
          headers: { "content-type": "text/event-stream" },
          events: [
            { ms: 120, comment: " OPENROUTER PROCESSING" },
            { ms: 300, data: chunk("") },
            { ms: 412, data: chunk("Paris") },
            { ms: 500, data: chunk(".") },
            { ms: 655, data: chunk("", "stop", usage) },
            { ms: 1290, data: "[DONE]" },
          ],
        },
      },
      {
        recordedAt: "2026-11-24T10:00:01.000Z",
        request: {
          method: "POST",
          path: "/api/v1/chat/completions",
          headers: {},
          body: {
            model: "openai/gpt-4o",
            messages: [
              { role: "user", content: LONG },
              { role: "assistant", content: "Sure." },
            ],
            stream: false,
          },
          fingerprint: "0000000000000002",
        },
        response: {
          status: 200,
          headers: { "content-type": "application/json" },
          body: {
            id: "gen-78",
            object: "chat.completion",
            created: 1767000000,
            model: "openai/gpt-4o",
            choices: [{ index: 0, message: { role: "assistant", content: "A summary." }, finish_reason: "stop" }],
            usage: { prompt_tokens: 321, completion_tokens: 45, total_tokens: 366, cost: 0.0012345 },
          },
        },
      },
      {
        recordedAt: "2026-11-24T10:00:02.000Z",
        request: {
          method: "POST",
          path: "/api/v1/chat/completions",
          headers: {},
          body: { model: "google/gemini-2.5-pro", messages: [{ role: "user", content: "rate limited?" }] },
          fingerprint: "0000000000000003",
        },
        response: {
          status: 429,
          headers: { "content-type": "application/json", "retry-after": "7" },
          body: { error: { code: 429, message: "Rate limit exceeded", metadata: {} } },
        },
      },
      {
        recordedAt: "2026-11-24T10:00:03.000Z",
        request: {
          method: "POST",
          path: "/api/v1/chat/completions",
          headers: {},
          body: { model: "anthropic/claude-sonnet-4-6", messages: [{ role: "user", content: "break" }], stream: true },
          fingerprint: "0000000000000004",
        },
        response: {
          status: 200,
          headers: { "content-type": "text/event-stream" },
          events: [
            { ms: 80, data: chunk("") },
            { ms: 95, data: chunk("Half") },
          ],
          broken: "upstream stream failed: UND_ERR_SOCKET",
        },
      },
    ],
  };
  const dir = tmpFolder("cline-mock-inspect-");
  const file = join(dir, "hand.yaml");
  writeFileSync(file, JSON.stringify(cassette, null, 2));
  return file;
}

describe("cline-mock inspect", () => {
  it("shows each interaction's model, last user message, status, chunks, first-token and total ms, tokens and cost", () => {
    const file = handWritten();
    const result = run(["inspect", file]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("4 interactions (2 streamed, 2 JSON)");
    const [heading, ...rows] = rowsOf(result.stdout);
    expect(heading).toEqual(["#", "model", "last user message", "status", "chunks", "first token", "total", "tokens in/out", "cost $"]);
    expect(rows).toEqual([
      ["0", "anthropic/claude-sonnet-4-6", "What is the capital of France?", "200", "4", "412 ms", "1290 ms", "14/2", "0.000052"],
      // A long message is cut at 40 characters; the cost is printed with six decimals.
      ["1", "openai/gpt-4o", `${LONG.slice(0, 39)}…`, "200", "json", "-", "-", "321/45", (0.0012345).toFixed(6)],
      ["2", "google/gemini-2.5-pro", "rate limited?", "429", "json", "-", "-", "-", "-"],
      ["3", "anthropic/claude-sonnet-4-6", "break", "200 broken", "2", "95 ms", "95 ms", "-", "-"],
    ]);
  });

  it("summarises a cassette recorded through the proxy: timings, tokens and cost as recorded", async () => {
    const up = await startUpstream({ gapMs: 15 });
    const dir = tmpFolder("cline-mock-inspect-rec-");
    const mock = await startMockServer({ port: 0, latency: "none", mode: "record", upstream: up.url, cassettes: dir });
    const bodies = [
      { model: "anthropic/claude-sonnet-4-6", messages: [{ role: "user", content: "Recorded streaming question" }], stream: true },
      { model: "openai/gpt-4o", messages: [{ role: "user", content: "Recorded JSON question" }], stream: false },
    ];
    try {
      for (const body of bodies) {
        const res = await fetch(`${mock.url}/chat/completions`, {
          method: "POST",
          headers: { authorization: "Bearer test-key", "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(200);
        await res.text();
      }
    } finally {
      await mock.close();
      await up.close();
    }
    const file = join(dir, "default.yaml");
    const cassette = cassetteSchema.parse(parse(readFileSync(file, "utf8")));
    const events = cassette.interactions[0]?.response.events ?? [];
    const firstToken = events.find((e) => "data" in e && /"content":"[^"]/.test(e.data))?.ms;
    const total = events.at(-1)?.ms;
    const streamUsage = usageFor(bodies[0] as Record<string, unknown>, defaultContent(bodies[0] as Record<string, unknown>, 1));
    const jsonUsage = usageFor(bodies[1] as Record<string, unknown>, defaultContent(bodies[1] as Record<string, unknown>, 2));

    const result = run(["inspect", file]);
    expect(result.status).toBe(0);
    const [, ...rows] = rowsOf(result.stdout);
    expect(rows).toEqual([
      [
        "0",
        "anthropic/claude-sonnet-4-6",
        "Recorded streaming question",
        "200",
        "6",
        `${firstToken} ms`,
        `${total} ms`,
        `${streamUsage.prompt_tokens}/${streamUsage.completion_tokens}`,
        streamUsage.cost.toFixed(6),
      ],
      [
        "1",
        "openai/gpt-4o",
        "Recorded JSON question",
        "200",
        "json",
        "-",
        "-",
        `${jsonUsage.prompt_tokens}/${jsonUsage.completion_tokens}`,
        jsonUsage.cost.toFixed(6),
      ],
    ]);
    // The recorded gaps show: the first token comes after the keep-alive and the role chunk, the end later still.
    expect(firstToken).toBeGreaterThanOrEqual(2 * 15);
    expect(total).toBeGreaterThan(firstToken as number);
  });

  it("finds a cassette by name in --cassettes, and exits 1 naming the file for one that does not exist", () => {
    const file = handWritten();
    const dir = join(file, "..");
    const byName = run(["inspect", "hand", "--cassettes", dir]);
    expect(byName.status).toBe(0);
    expect(byName.stdout).toContain("4 interactions");
    const missing = run(["inspect", "nope", "--cassettes", dir]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("nope");
  });
});

describe("cline-mock validate on cassettes", () => {
  it("accepts a valid cassette", () => {
    const file = handWritten();
    const result = run(["validate", file]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/✓ .*hand\.yaml: cassette, 4 interactions/);
  });

  it("rejects a broken cassette with file, line and field, and exits 1", () => {
    const dir = tmpFolder("cline-mock-validate-cassette-");
    const file = join(dir, "broken.yaml");
    writeFileSync(
      file,
      [
        "cassette: 1", // 1
        "interactions:", // 2
        "  - recordedAt: 2026-11-24T10:00:00Z", // 3
        "    request:", // 4
        "      path: /api/v1/chat/completions", // 5
        "      body: { model: m, messages: [] }", // 6
        "      fingerprint: abc", // 7
        "    response:", // 8
        "      status: 200", // 9
        "      events:", // 10
        '        - { ms: 1, data: "x" }', // 11
        '        - { ms: 2, dat: "typo" }', // 12
        "",
      ].join("\n"),
    );
    const result = run(["validate", file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/✗ .*broken\.yaml, line 12: `interactions\[0\]\.response\.events\[1\]`/);

    const inspected = run(["inspect", file]);
    expect(inspected.status).toBe(1);
    expect(inspected.stderr).toMatch(/broken\.yaml, line 12/);
  });

  it("rejects a cassette with a wrong format version, naming its line", () => {
    const dir = tmpFolder("cline-mock-validate-cassette-");
    const file = join(dir, "future.yaml");
    writeFileSync(file, "# a comment\ncassette: 2\ninteractions: []\n");
    const result = run(["validate", file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/future\.yaml, line 2: `cassette` must be 1/);
  });
});
