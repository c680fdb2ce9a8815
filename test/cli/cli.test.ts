import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

// The CLI is tested as users run it: the built bin (npm test builds first).
const BIN = fileURLToPath(new URL("../../bin/cline-mock", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function run(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 15_000 });
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** Starts `serve` and resolves with the origin from its `listening on` line. */
function start(args: string[]): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--log", "none", ...args], { cwd: ROOT });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /cline-mock listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, origin: m[1] as string });
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before listening: ${out}`)));
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe("cline-mock serve", () => {
  it("prints the listening line and the base URL, then answers on it", async () => {
    const { origin } = await start(["--latency", "none"]);
    const res = await fetch(`${origin}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({ model: "openai/gpt-4o", stream: false, messages: [{ role: "user", content: "hello" }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toContain("Hello!");
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`exits 0 on ${signal}`, async () => {
      const { child } = await start(["--latency", "none"]);
      const exit = exitOf(child);
      child.kill(signal);
      expect(await exit).toBe(0);
    });
  }

  it("reads options from CLINE_MOCK_ environment variables", async () => {
    const child = spawn(process.execPath, [BIN, "--log", "none"], {
      cwd: ROOT,
      env: { ...process.env, CLINE_MOCK_PORT: "0", CLINE_MOCK_STREAM_DEFAULT: "false", CLINE_MOCK_LATENCY: "none" },
    });
    children.push(child);
    const origin = await new Promise<string>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        const m = /listening on (http:\/\/\S+)/.exec(d.toString());
        if (m) resolve(m[1] as string);
      });
    });
    const res = await fetch(`${origin}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer k" },
      body: JSON.stringify({ model: "openai/gpt-4o", messages: [{ role: "user", content: "hello" }] }),
    });
    expect(res.headers.get("content-type")).toContain("application/json");
  });

  it("exits 1 naming the option when an option is bad", () => {
    const result = run(["serve", "--chunk", "bytes:3"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("--chunk");
  });

  it("exits 1 naming the fault option when a fault spec is bad", () => {
    const bad = run(["serve", "--fault", "explode@3"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--fault "explode@3" is not a fault/);
    const noList = run(["serve", "--fault-rate", "0.5"]);
    expect(noList.status).toBe(1);
    expect(noList.stderr).toMatch(/--fault-rate needs --faults/);
    const badRate = run(["serve", "--rate-limit", "rps=3"]);
    expect(badRate.status).toBe(1);
    expect(badRate.stderr).toMatch(/--rate-limit "rps=3" is not a limit/);
  });

  it("exits 1 naming file, line and field when a scenario file is bad", () => {
    const dir = mkdtempSync(join(tmpdir(), "cline-mock-cli-"));
    writeFileSync(join(dir, "bad.yaml"), "name: bad\nmatch:\n  model: 3\nreply: { content: hi }\n");
    const result = run(["serve", "--port", "0", "--scenarios", join(dir, "bad.yaml")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/bad\.yaml, line 3: `match\.model` must be a string/);
  });
});

describe("cline-mock validate", () => {
  it("passes the bundled scenarios and catalogue", () => {
    const result = run(["validate", "scenarios", "models.yaml"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("✓ models.yaml: model catalogue");
    expect(result.stdout).toMatch(/10-demos\.yaml: 3 scenarios \(greeting, reasoning-demo, tool-call-demo\)/);
  });

  it("exits 1 with file:line errors and goes on to check every file", () => {
    const dir = mkdtempSync(join(tmpdir(), "cline-mock-validate-"));
    writeFileSync(join(dir, "a.yaml"), "scenarios:\n  - name: a\n    match: { lastUsrMessage: hi }\n    reply: { content: x }\n");
    writeFileSync(join(dir, "b.yaml"), "name: b\nreply:\n  content: [unclosed\n");
    writeFileSync(join(dir, "c.yaml"), "name: c\nreply: { content: fine }\n");
    const result = run(["validate", dir]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/a\.yaml, line 3: `scenarios\[0\]\.match` Unrecognized key: "lastUsrMessage"/);
    expect(result.stdout).toMatch(/b\.yaml, line \d+:/);
    expect(result.stdout).toContain("c.yaml: 1 scenario (c)");
  });
});

describe("cline-mock --help", () => {
  it("lists the commands and explains the options a newcomer needs", () => {
    const result = run(["--help"]);
    expect(result.status).toBe(0);
    for (const text of [
      "serve",
      "validate",
      "--port",
      "--scenarios",
      "--latency",
      "--chunk",
      "--seed",
      "--stream-default",
      "CLINE_MOCK_",
    ]) {
      expect(result.stdout).toContain(text);
    }
  });
});
