/**
 * Clients that leave mid-stream must take everything with them: the stream's timer, the socket,
 * the memory, and (in proxy mode) the upstream request. 2000 streams of ~1.7 s are opened and
 * dropped after their first bytes, 200 at a time; then connections, handles and heap must come
 * back to where they were, and the journal must say each request was aborted.
 */
import { request } from "node:http";
import v8 from "node:v8";
import vm from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/index.js";
import { startUpstream, type Upstream } from "../proxy/upstream-fixture.js";

const TOTAL = 2000;
const BATCH = 200;

/** A real garbage collector: the flag can be set at run time and `gc` read from a fresh context. */
function findGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as () => void;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; returns whether it did before the deadline. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

const connections = (mock: MockServer) =>
  new Promise<number>((resolve, reject) => mock.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));

function handles(): { timeouts: number; sockets: number } {
  const info = process.getActiveResourcesInfo();
  return { timeouts: info.filter((r) => r === "Timeout").length, sockets: info.filter((r) => r === "TCPSocketWrap").length };
}

/**
 * Opens one streamed request on its own connection and destroys it as soon as the first body bytes
 * holding a `data:` chunk arrive (the bytes before are keep-alive comments, sent at once), so the
 * stream is cut with chunks still to come. Resolves with how many bytes came, once the socket is closed.
 */
function openAndAbort(origin: URL, body: string, headers: Record<string, string> = {}): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent: false,
        host: origin.hostname,
        port: origin.port,
        method: "POST",
        path: "/api/v1/chat/completions",
        headers: { authorization: "Bearer k", "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers },
      },
      (res) => {
        let text = "";
        const onData = (d: Buffer) => {
          text += d.toString();
          if (!/(^|\n)data: /.test(text)) return;
          res.off("data", onData);
          const socket = req.socket;
          req.destroy();
          const done = () => resolve({ status: res.statusCode ?? 0, bytes: text.length });
          if (!socket || socket.destroyed) done();
          else socket.once("close", done);
        };
        res.on("data", onData);
        res.once("end", () => reject(new Error("the stream ended before it was aborted: it is too short for this test")));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      // Destroying our own request is the point; anything else is a failure.
      if (!req.destroyed || error.code !== "ECONNRESET") reject(error);
    });
    req.end(body);
  });
}

const streamBody = (i: number) =>
  JSON.stringify({
    model: "anthropic/claude-sonnet-4-6",
    stream: true,
    messages: [{ role: "user", content: `tell me about abort number ${i}` }],
  });

describe("clients that abort mid-stream", () => {
  let mock: MockServer;
  beforeAll(async () => {
    // ~100 ms to the first token, then 80 generated tokens at 50/s: each stream would last ~1.7 s.
    mock = await startMockServer({ port: 0, latency: "fast", ttftMs: 100, tps: 50, journalSize: 5000 });
  });
  afterAll(() => mock?.close());

  it(`frees connections, timers, sockets and memory after ${TOTAL} streams are dropped mid-way, and journals them as aborted`, async () => {
    const origin = new URL(mock.origin);
    const gc = findGc();

    // Warm up (tokenizer, code paths), then take the baseline.
    await Promise.all(Array.from({ length: 20 }, (_, i) => openAndAbort(origin, streamBody(-i), { "x-mock-session": "warm-up" })));
    expect(await eventually(async () => (await connections(mock)) === 0, 30_000)).toBe(true);
    await sleep(200);
    gc?.();
    const before = handles();
    const heapBefore = process.memoryUsage().heapUsed;

    let received = 0;
    // The most stream timers seen pending at once: proof the streams were live when dropped.
    let peakTimeouts = 0;
    const sampler = setInterval(() => {
      peakTimeouts = Math.max(peakTimeouts, handles().timeouts);
    }, 5);
    try {
      for (let start = 0; start < TOTAL; start += BATCH) {
        const batch = await Promise.all(
          Array.from({ length: BATCH }, (_, j) => openAndAbort(origin, streamBody(start + j), { "x-mock-session": "abort-run" })),
        );
        for (const r of batch) {
          expect(r.status).toBe(200);
          received += r.bytes > 0 ? 1 : 0;
        }
      }
    } finally {
      clearInterval(sampler);
    }
    expect(received).toBe(TOTAL);
    expect(peakTimeouts).toBeGreaterThan(before.timeouts + 10);

    // Every connection closes on the server side, then timers and sockets drain back to the baseline.
    expect(await eventually(async () => (await connections(mock)) === 0, 60_000), "server connections never reached 0").toBe(true);
    const margin = 3;
    const settled = await eventually(() => {
      const now = handles();
      return now.timeouts <= before.timeouts + margin && now.sockets <= before.sockets + margin;
    }, 30_000);
    expect(settled, `handles before ${JSON.stringify(before)}, after ${JSON.stringify(handles())}`).toBe(true);

    // The journal has every request of the run, each marked aborted, none answered in full.
    const run = mock.requests().filter((e) => e.session === "abort-run");
    expect(run).toHaveLength(TOTAL);
    expect(run.filter((e) => !e.aborted)).toEqual([]);
    expect(new Set(run.map((e) => e.status))).toEqual(new Set([200]));

    if (!gc) {
      console.warn("abort.test: no garbage collector available (neither --expose-gc nor v8.setFlagsFromString); heap not checked");
      return;
    }
    gc();
    await sleep(100);
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    expect(heapAfter, `heap before ${Math.round(heapBefore / 1e6)} MB, after ${Math.round(heapAfter / 1e6)} MB`).toBeLessThan(
      heapBefore + 30 * 1024 * 1024,
    );
  }, 120_000);
});

describe("a client that aborts a proxied stream", () => {
  let upstream: Upstream;
  let mock: MockServer;
  beforeAll(async () => {
    // Eight events 300 ms apart: the upstream would take ~2.1 s to finish each answer.
    upstream = await startUpstream({ gapMs: 300 });
    mock = await startMockServer({ port: 0, mode: "passthrough", upstream: upstream.url });
  });
  afterAll(async () => {
    await mock?.close();
    await upstream?.close();
  });

  it("aborts the upstream request: the upstream sees its response closed before it finished writing", async () => {
    const n = 20;
    const origin = new URL(mock.origin);
    const results = await Promise.all(Array.from({ length: n }, (_, i) => openAndAbort(origin, streamBody(i))));
    for (const r of results) expect(r.status).toBe(200);
    expect(upstream.requests).toHaveLength(n);
    // Every upstream response is closed well before its ~2.1 s of events could have been written.
    await Promise.all(upstream.requests.map((r) => r.closed));
    for (const r of upstream.requests) {
      expect(r.cutOff).toBe(true);
      expect(r.sent).not.toContain("[DONE]");
    }
    expect(await eventually(async () => (await connections(mock)) === 0, 30_000)).toBe(true);
    const journal = mock.requests();
    expect(journal).toHaveLength(n);
    expect(journal.every((e) => e.aborted && e.source === "upstream")).toBe(true);
  }, 60_000);
});
