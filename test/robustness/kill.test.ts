/**
 * Data safety of recordings with real processes: `cline-mock record` (the built bin; `npm test`
 * builds first) proxies ~200 concurrent requests into a handful of cassettes and is killed in the
 * middle. After SIGKILL every cassette file must still be whole and valid (writes are atomic: a
 * temporary file renamed over the old one); after SIGTERM the process exits 0 and every
 * interaction whose answer a client received in full is on disk.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type Cassette, cassetteSchema, type Interaction } from "../../src/cassettes/schema.js";
import { newCassette, renderCassette } from "../../src/cassettes/store.js";
import { startMockServer } from "../../src/index.js";
import { watchEventLoop } from "../helpers/event-loop.js";
import { startUpstream, type Upstream } from "../proxy/upstream-fixture.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin/cline-mock");
const CASSETTES = ["alpha", "beta", "suite/gamma", "suite/deep/delta", "epsilon"];
const REQUESTS = 200;
/** Kill once this many answers have arrived in full: writes are then under way. */
const KILL_AFTER = 60;

let upstream: Upstream;
beforeAll(async () => {
  // Each answer is 8 events; the gap varies per call, so answers finish (and get written) spread
  // over ~0.1 to ~1.7 s rather than all at once.
  upstream = await startUpstream((_request, call) => ({ gapMs: 10 + (call % 9) * 25 }));
});
afterAll(() => upstream?.close());

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

interface Recorder {
  child: ChildProcess;
  origin: string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startRecorder(cassettes: string): Promise<Recorder> {
  const env = { ...process.env };
  delete env.CLINE_API_KEY;
  const child = spawn(
    process.execPath,
    [BIN, "record", "--port", "0", "--latency", "none", "--log", "none", "--upstream", upstream.url, "--cassettes", cassettes],
    { cwd: ROOT, env },
  );
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const origin = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /cline-mock listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    void exit.then(({ code }) => reject(new Error(`cline-mock record exited with ${code} before listening: ${stderr}`)));
  });
  return { child, origin, stderr: () => stderr, exit };
}

interface Sent {
  cassette: string;
  content: string;
  /** When the whole answer had arrived (performance.now()), if it did. */
  completedAt?: number;
}

/** One request; `completedAt` is set only when the answer arrived whole (to [DONE], or JSON that parses). */
function send(origin: string, sent: Sent, stream: boolean): Promise<void> {
  const url = new URL(origin);
  const body = JSON.stringify({ model: "anthropic/claude-sonnet-4-6", stream, messages: [{ role: "user", content: sent.content }] });
  return new Promise((resolve) => {
    const req = request(
      {
        agent: false,
        host: url.hostname,
        port: url.port,
        method: "POST",
        path: "/api/v1/chat/completions",
        headers: {
          authorization: "Bearer test-key",
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "x-mock-cassette": sent.cassette,
        },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => {
          text += d.toString();
        });
        res.on("end", () => {
          const whole = stream ? text.endsWith("data: [DONE]\n\n") : res.statusCode === 200 && isJson(text);
          if (res.statusCode === 200 && whole) sent.completedAt = performance.now();
          resolve();
        });
        res.on("error", () => resolve());
      },
    );
    req.on("error", () => resolve());
    req.end(body);
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Fires every request at once and resolves when KILL_AFTER of them have completed. */
function fire(origin: string, tag: string): { sent: Sent[]; all: Promise<void>; enoughDone: Promise<void> } {
  const sent: Sent[] = Array.from({ length: REQUESTS }, (_, i) => ({
    cassette: CASSETTES[i % CASSETTES.length] as string,
    content: `${tag} request ${i}`,
  }));
  let signalEnough: () => void = () => {};
  const enoughDone = new Promise<void>((resolve) => {
    signalEnough = resolve;
  });
  const all = Promise.all(
    sent.map((s, i) =>
      send(origin, s, i % 4 !== 0).then(() => {
        if (sent.filter((x) => x.completedAt !== undefined).length >= KILL_AFTER) signalEnough();
      }),
    ),
  ).then(() => signalEnough());
  return { sent, all, enoughDone };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

/** Every file under a folder, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/**
 * Checks the folder after a kill: every file is a cassette (`*.yaml`, no leading dot) that parses
 * and validates, or a temporary file (`.NAME...tmp`) that no loader takes for a cassette.
 */
function readCassettes(dir: string): Map<string, Cassette> {
  const cassettes = new Map<string, Cassette>();
  for (const file of filesUnder(dir)) {
    const name = file.split("/").at(-1) as string;
    if (name.startsWith(".")) {
      expect(name, `${file} is neither a cassette nor a temporary file`).toMatch(/^\..+\.tmp$/);
      continue;
    }
    expect(file, `${file} is not a cassette file`).toMatch(/\.yaml$/);
    const text = readFileSync(join(dir, file), "utf8");
    const parsed = cassetteSchema.safeParse(parse(text));
    expect(parsed.success, `${file} does not validate: ${parsed.error?.message}`).toBe(true);
    cassettes.set(file.replace(/\.yaml$/, ""), parsed.data as Cassette);
  }
  return cassettes;
}

describe("cline-mock record killed mid-traffic", () => {
  it("SIGKILL: every cassette file left behind parses, validates and keeps what it held; temporary files never pass for cassettes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cline-mock-kill-9-"));
    const recorder = await startRecorder(dir);
    // A first wave, two per cassette, waited for until every cassette is on disk: the kill below
    // then lands while those files are being rewritten.
    const first: Sent[] = Array.from({ length: 2 * CASSETTES.length }, (_, i) => ({
      cassette: CASSETTES[i % CASSETTES.length] as string,
      content: `sigkill first ${i}`,
    }));
    await Promise.all(first.map((s) => send(recorder.origin, s, true)));
    expect(first.every((s) => s.completedAt !== undefined)).toBe(true);
    const onDisk = () => CASSETTES.every((name) => filesUnder(dir).includes(`${name}.yaml`));
    expect(await eventually(onDisk, 30_000), "the first wave never reached the disk").toBe(true);

    const { sent, all, enoughDone } = fire(recorder.origin, "sigkill");
    await enoughDone;
    recorder.child.kill("SIGKILL");
    expect((await recorder.exit).signal).toBe("SIGKILL");
    await all;
    const completed = sent.filter((s) => s.completedAt !== undefined).length;
    expect(completed).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(completed, "the kill came after every request had finished: nothing was in flight").toBeLessThan(REQUESTS);

    const cassettes = readCassettes(dir);
    expect([...cassettes.keys()].sort()).toEqual([...CASSETTES].sort());
    for (const [name, cassette] of cassettes) {
      const contents = cassette.interactions.map((i) => (i.request.body as { messages: Array<{ content: string }> }).messages[0]?.content);
      for (const content of contents) expect(content).toMatch(/^sigkill (first|request) \d+$/);
      // A rewrite interrupted by the kill leaves the previous whole file (or a newer one), never less.
      for (const s of first.filter((f) => f.cassette === name)) expect(contents).toContain(s.content);
    }
    // The server's own loader takes the folder as it is.
    const replay = await startMockServer({ cassettes: dir });
    await replay.close();
  }, 60_000);

  it("SIGTERM: exits 0, and every interaction a client received in full before the signal is in its cassette", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cline-mock-kill-15-"));
    const recorder = await startRecorder(dir);
    const { sent, all, enoughDone } = fire(recorder.origin, "sigterm");
    await enoughDone;
    const signalledAt = performance.now();
    recorder.child.kill("SIGTERM");
    const exit = await recorder.exit;
    expect(exit, recorder.stderr()).toEqual({ code: 0, signal: null });
    await all;
    const before = sent.filter((s) => s.completedAt !== undefined && s.completedAt < signalledAt);
    expect(before.length).toBeGreaterThanOrEqual(KILL_AFTER);

    const cassettes = readCassettes(dir);
    // No temporary file is left after a clean exit.
    expect(filesUnder(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const total = [...cassettes.values()].reduce((n, c) => n + c.interactions.length, 0);
    expect(total).toBeGreaterThanOrEqual(before.length);
    for (const s of before) {
      const contents = (cassettes.get(s.cassette)?.interactions ?? []).map(
        (i) => (i.request.body as { messages: Array<{ content: string }> }).messages[0]?.content,
      );
      expect(contents, `"${s.content}" (cassette ${s.cassette}) was answered before SIGTERM but is not recorded`).toContain(s.content);
    }
    // What the process reported recording is what the files hold.
    for (const [name, cassette] of cassettes) {
      expect(recorder.stderr()).toContain(`cassette ${name}: ${cassette.interactions.length} recorded`);
    }
  }, 60_000);
});

describe("recording into a large cassette", () => {
  // Regression (fixed): every recorded interaction re-renders the whole cassette to YAML, synchronously,
  // before the write is queued (CassetteLibrary.record -> diskStore.write -> renderCassette). That
  // costs ~0.46 ms per interaction already in the cassette on the 2-core machine (40: 23 ms, 100:
  // 40 ms, 400: 185 ms each), so recording n interactions is O(n^2) (400 into one cassette: 28 s
  // of blocked event loop) and every live proxied stream stalls meanwhile, its recorded `ms`
  // timings included. Under the ~200 concurrent requests above, the recorder's event loop stalled
  // in ~400 ms stretches and the first cassette write took ~2 s to land; when the SIGKILL came,
  // with 60 answers delivered in full, each cassette held only the first wave. Should: render only
  // what is written (the latest contents, in the write job), or keep each interaction's rendered
  // YAML and join the pieces, so one recording costs the same whatever the cassette holds.
  it("does not block the server for a whole-cassette render per recording when the cassette already holds 600 interactions", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cline-mock-big-cassette-"));
    const interaction = (i: number): Interaction => ({
      recordedAt: "2026-01-01T00:00:00.000Z",
      request: {
        method: "POST",
        path: "/api/v1/chat/completions",
        headers: { "content-type": "application/json" },
        body: { model: "anthropic/claude-sonnet-4-6", stream: true, messages: [{ role: "user", content: `old ${i}` }] },
        fingerprint: `f${i}`,
      },
      response: {
        status: 200,
        headers: { "content-type": "text/event-stream" },
        events: [
          { ms: 0, comment: " OPENROUTER PROCESSING" },
          ...Array.from({ length: 6 }, (_, k) => ({
            ms: 60 * (k + 1),
            data: JSON.stringify({
              id: `gen-${i}`,
              object: "chat.completion.chunk",
              choices: [{ index: 0, delta: { content: `part ${k} ` } }],
            }),
          })),
          { ms: 500, data: "[DONE]" },
        ],
      },
    });
    // What one write used to cost, measured here and now: rendering the whole cassette afresh.
    const started = performance.now();
    const text = renderCassette(newCassette(Array.from({ length: 600 }, (_, i) => interaction(i))));
    const wholeRender = performance.now() - started;
    writeFileSync(join(dir, "big.yaml"), text);
    const fast = await startUpstream({ gapMs: 0 });
    const mock = await startMockServer({ mode: "auto", upstream: fast.url, cassettes: dir });
    const loop = watchEventLoop(5);
    let longest = 0;
    try {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${mock.url}/chat/completions`, {
          method: "POST",
          headers: { authorization: "Bearer k", "content-type": "application/json", "x-mock-cassette": "big" },
          body: JSON.stringify({ model: "anthropic/claude-sonnet-4-6", stream: true, messages: [{ role: "user", content: `new ${i}` }] }),
        });
        expect(res.headers.get("x-mock-source")).toBe("upstream");
        await res.text();
      }
    } finally {
      longest = loop.stop();
    }
    await mock.close();
    await fast.close();
    // The server runs in this process: its longest synchronous stretch is the longest gap between
    // ticks. Compared with a whole render timed in the same run, not with a wall-clock limit.
    expect(longest).toBeLessThan(Math.max(wholeRender * 0.8, 60));
  }, 60_000);
});
