/**
 * Soak test: the built server in a child process with chaos on (30 % of requests faulted), mixed
 * traffic at concurrency 50 for SOAK_SECONDS (default 60), the server's RSS sampled every 5 s.
 * Prints a Markdown report: requests, responses by status, errors by kind as the client saw them,
 * requests/s, and RSS over time. Talks only to 127.0.0.1 and stops by itself.
 *
 *   npm run build && SOAK_SECONDS=60 npx tsx bench/soak.ts
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import seedrandom from "seedrandom";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CONCURRENCY = 50;
const SAMPLE_MS = 5000;
const REQUEST_TIMEOUT_MS = 30_000;
const FAULTS = "http:429,http:503,error@3,disconnect@2,malformed@1,truncate@2,slow@1:50";
const SERVER_ARGS = ["--port", "0", "--log", "none", "--latency", "fast", "--fault-rate", "0.3", "--faults", FAULTS];

if (!Number.isFinite(SECONDS) || SECONDS <= 0) throw new Error(`SOAK_SECONDS must be a positive number, got ${process.env.SOAK_SECONDS}`);

// ---------------------------------------------------------------- the server

function startServer(): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn(process.execPath, [`${ROOT}/bin/cline-mock`, ...SERVER_ARGS], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /cline-mock listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, origin: m[1] as string });
    });
    child.once("exit", (code) => reject(new Error(`cline-mock exited with ${code} before listening (did you npm run build?)\n${stderr}`)));
  });
}

function rssKb(pid: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile("ps", ["-o", "rss=", "-p", String(pid)], (error, stdout) => {
      const kb = Number(stdout.trim());
      resolve(error || !Number.isFinite(kb) ? undefined : kb);
    });
  });
}

// ---------------------------------------------------------------- the traffic

const MODELS = [
  "anthropic/claude-sonnet-4-6",
  "openai/gpt-5",
  "openai/gpt-4o",
  "deepseek/deepseek-r1",
  "x-ai/grok-4",
  "google/gemini-2.5-flash",
];
const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" }, unit: { enum: ["c", "f"] } }, required: ["city"] },
  },
};

type Kind = "greeting" | "reasoning" | "tool-call" | "tool-result" | "generated";

/** One request of the mix: the kind of conversation, the model, stream or JSON. */
function makeRequest(rng: () => number, n: number): { kind: Kind; stream: boolean; body: string } {
  const model = MODELS[Math.floor(rng() * MODELS.length)] as string;
  const stream = rng() < 0.7;
  const r = rng();
  const kind: Kind = r < 0.15 ? "greeting" : r < 0.4 ? "reasoning" : r < 0.6 ? "tool-call" : r < 0.75 ? "tool-result" : "generated";
  const user = (content: string) => ({ role: "user", content });
  let body: Record<string, unknown>;
  switch (kind) {
    case "greeting":
      body = { messages: [user("hello there")] };
      break;
    case "reasoning":
      body = { messages: [user(`why does request ${n} take the path it takes? explain`)], reasoning: { effort: "medium" } };
      break;
    case "tool-call":
      body = { messages: [user(`what is the weather in city ${n % 50}?`)], tools: [WEATHER_TOOL] };
      break;
    case "tool-result":
      body = {
        tools: [WEATHER_TOOL],
        messages: [
          user("weather in Paris?"),
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: `call_${n}`, type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
          },
          { role: "tool", tool_call_id: `call_${n}`, content: `${n % 30} degrees and sunny` },
        ],
      };
      break;
    default:
      body = { messages: [{ role: "system", content: "You are terse." }, user(`tell me about soak topic number ${n}`)], max_tokens: 200 };
  }
  return { kind, stream, body: JSON.stringify({ model, stream, ...body }) };
}

/**
 * What the client saw, in the words of the report. A JSON body that does not parse is one kind:
 * a malformed body (cut inside a string, then junk) and a truncated one both read as JSON that
 * stops in the middle, so a client cannot tell them apart.
 */
type ErrorKind =
  | "mid-stream error chunk"
  | "malformed stream (a data line that is not JSON)"
  | "truncated stream (no [DONE])"
  | "JSON body that does not parse (malformed or truncated)"
  | "connection reset before a response"
  | "connection reset mid-response"
  | "client timeout";
type Outcome = { status: number | "no response"; error?: ErrorKind };

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function classifyStream(text: string): Outcome {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  let sawDone = false;
  let errorChunk = false;
  let malformed = false;
  for (const line of lines) {
    if (!line.startsWith("data:")) continue;
    const payload = line.slice(5).trim();
    if (payload === "[DONE]") {
      sawDone = true;
      continue;
    }
    try {
      const chunk = JSON.parse(payload) as { error?: unknown };
      if (chunk.error !== undefined) errorChunk = true;
    } catch {
      malformed = true;
    }
  }
  if (errorChunk) return { status: 200, error: "mid-stream error chunk" };
  if (malformed) return { status: 200, error: "malformed stream (a data line that is not JSON)" };
  if (!sawDone) return { status: 200, error: "truncated stream (no [DONE])" };
  return { status: 200 };
}

function send(agent: Agent, origin: URL, body: string, stream: boolean): Promise<{ outcome: Outcome; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, ms: performance.now() - started });
    };
    const req = request(
      {
        agent,
        host: origin.hostname,
        port: origin.port,
        method: "POST",
        path: "/api/v1/chat/completions",
        headers: { authorization: "Bearer soak", "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("error", () => finish({ status: res.statusCode ?? "no response", error: "connection reset mid-response" }));
        res.on("close", () => {
          if (!res.complete) finish({ status: res.statusCode ?? "no response", error: "connection reset mid-response" });
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(parts).toString("utf8");
          if (status !== 200) return finish({ status });
          if (stream) return finish(classifyStream(text));
          finish(parses(text) ? { status } : { status, error: "JSON body that does not parse (malformed or truncated)" });
        });
      },
    );
    const timer = setTimeout(() => {
      finish({ status: "no response", error: "client timeout" });
      req.destroy();
    }, REQUEST_TIMEOUT_MS);
    req.on("error", () => finish({ status: "no response", error: "connection reset before a response" }));
    req.end(body);
  });
}

// ---------------------------------------------------------------- the run

function count<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function main(): Promise<void> {
  const { child, origin } = await startServer();
  const url = new URL(origin);
  if (url.hostname !== "127.0.0.1") throw new Error(`the server listens on ${url.hostname}; this soak test talks to 127.0.0.1 only`);
  const pid = child.pid as number;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const rng = seedrandom("cline-mock soak");

  const byStatus = new Map<number | string, number>();
  const errors = new Map<string, number>();
  const byKind = new Map<string, number>();
  const durations: number[] = [];
  const rss: Array<{ at: number; kb: number | undefined; requests: number }> = [];
  let requests = 0;
  let completed = 0;

  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  rss.push({ at: 0, kb: await rssKb(pid), requests: 0 });
  const sampler = setInterval(() => {
    const at = (performance.now() - t0) / 1000;
    void rssKb(pid).then((kb) => rss.push({ at, kb, requests: completed }));
  }, SAMPLE_MS);

  const worker = async () => {
    while (performance.now() < deadline) {
      const n = requests++;
      const { kind, stream, body } = makeRequest(rng, n);
      count(byKind, `${kind} (${stream ? "stream" : "JSON"})`);
      const { outcome, ms } = await send(agent, url, body, stream);
      completed++;
      durations.push(ms);
      count(byStatus, outcome.status);
      if (outcome.status !== 200 && outcome.status !== "no response") count(errors, `HTTP ${outcome.status}`);
      if (outcome.error) count(errors, outcome.error);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  rss.push({ at: elapsed, kb: await rssKb(pid), requests: completed });
  agent.destroy();

  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  let giveUp: NodeJS.Timeout | undefined;
  const exitCode = await Promise.race([
    exited,
    new Promise<string>((resolve) => {
      giveUp = setTimeout(() => resolve("still running after 10 s"), 10_000);
    }),
  ]);
  clearTimeout(giveUp);
  if (exitCode === "still running after 10 s") child.kill("SIGKILL");

  durations.sort((a, b) => a - b);
  const errorTotal = [...errors.values()].reduce((a, b) => a + b, 0);
  const out: string[] = [];
  out.push("## cline-mock soak");
  out.push("");
  out.push(`\`cline-mock ${SERVER_ARGS.join(" ")}\`, concurrency ${CONCURRENCY}, ${SECONDS} s`);
  out.push("");
  out.push("| measure | value |", "|---|---|");
  out.push(`| duration | ${elapsed.toFixed(1)} s |`);
  out.push(`| requests | ${completed} |`);
  out.push(`| requests/s | ${(completed / elapsed).toFixed(1)} |`);
  out.push(
    `| answered whole (200, no error) | ${completed - errorTotal} (${((100 * (completed - errorTotal)) / completed).toFixed(1)} %) |`,
  );
  out.push(`| client-side errors | ${errorTotal} (${((100 * errorTotal) / completed).toFixed(1)} %) |`);
  out.push(
    `| time per request p50 / p99 / max | ${percentile(durations, 50).toFixed(0)} / ${percentile(durations, 99).toFixed(0)} / ${(durations.at(-1) ?? 0).toFixed(0)} ms |`,
  );
  out.push(`| server exit on SIGTERM | ${exitCode} |`);
  out.push("");
  out.push("### Responses by status", "", "| status | count |", "|---|---|");
  for (const [status, n] of [...byStatus].sort((a, b) => b[1] - a[1])) out.push(`| ${status} | ${n} |`);
  out.push("");
  out.push("### Errors by kind, as the client saw them", "", "| kind | count | share of requests |", "|---|---|---|");
  for (const [kind, n] of [...errors].sort((a, b) => b[1] - a[1])) out.push(`| ${kind} | ${n} | ${((100 * n) / completed).toFixed(1)} % |`);
  out.push("");
  out.push("### Traffic mix", "", "| request | count |", "|---|---|");
  for (const [kind, n] of [...byKind].sort((a, b) => b[1] - a[1])) out.push(`| ${kind} | ${n} |`);
  out.push("");
  out.push("### Server RSS over time", "", "| t (s) | RSS (MB) | requests done |", "|---|---|---|");
  for (const s of [...rss].sort((a, b) => a.at - b.at))
    out.push(`| ${s.at.toFixed(0)} | ${s.kb === undefined ? "n/a" : (s.kb / 1024).toFixed(1)} | ${s.requests} |`);
  process.stdout.write(`${out.join("\n")}\n`);
}

await main();
