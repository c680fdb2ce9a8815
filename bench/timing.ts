/**
 * Timing accuracy under load: N concurrent streams against a server with a fixed schedule
 * (time to first token, tokens per second, no jitter). Reports how far the first token and the
 * token rate that clients observe are from the schedule.
 *
 *   npm run bench:timing            (builds first)
 *   BENCH_STREAMS=2000 npm run bench:timing
 */
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";

const streams = Number(process.env.BENCH_STREAMS ?? 1000);
const TTFT = 700;
const TPS = 60;
const root = fileURLToPath(new URL("..", import.meta.url));

const child = spawn(
  process.execPath,
  [
    ...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean),
    "bin/cline-mock",
    "--port",
    "0",
    "--log",
    "none",
    "--ttft",
    String(TTFT),
    "--tps",
    String(TPS),
    "--jitter",
    "0",
    "--chunk",
    "token:1",
  ],
  { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
);
const origin = await new Promise<string>((resolve) => {
  child.stdout.on("data", (d: Buffer) => {
    const m = /listening on (http:\/\/\S+)/.exec(d.toString());
    if (m) resolve(m[1] as string);
  });
});
const target = new URL(`${origin}/api/v1/chat/completions`);
const agent = new Agent({ keepAlive: true, maxSockets: streams });

interface Observed {
  /** From sending the request to the first content token. */
  ttft: number;
  /** From the response's first byte (the server starts the stream's clock then) to the first token. */
  scheduled: number;
  rate: number;
  tokens: number;
}

function one(i: number): Promise<Observed> {
  const body = JSON.stringify({
    model: "openai/gpt-4o",
    stream: true,
    messages: [{ role: "user", content: `tell me about caching strategies ${i}` }],
  });
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let firstByte = 0;
    let first = 0;
    let last = 0;
    let tokens = 0;
    let buffer = "";
    const req = request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { authorization: "Bearer b" } },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          if (firstByte === 0) firstByte = performance.now() - t0;
          buffer += d;
          let end = buffer.indexOf("\n\n");
          while (end !== -1) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
            if (!event.includes('"delta":{"content":"')) continue;
            const now = performance.now() - t0;
            if (first === 0) first = now;
            last = now;
            tokens++;
          }
        });
        res.on("end", () => resolve({ ttft: first, scheduled: first - firstByte, rate: ((tokens - 1) * 1000) / (last - first), tokens }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const results = await Promise.all(Array.from({ length: streams }, (_, i) => one(i)));
child.kill("SIGTERM");
agent.destroy();

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ttftErr = results.map((r) => r.ttft - TTFT);
const scheduledErr = results.map((r) => r.scheduled - TTFT);
const rateErr = results.map((r) => (100 * (r.rate - TPS)) / TPS);
console.log(
  `\n${streams} concurrent streams, schedule: first token at ${TTFT} ms, ${TPS} tokens/s, token:1 chunks, ~${Math.round(mean(results.map((r) => r.tokens)))} tokens each\n`,
);
console.log("| measure | mean | p50 | p99 |");
console.log("|---|---|---|---|");
console.log(
  `| first token after the stream's first byte, ms late | ${mean(scheduledErr).toFixed(1)} | ${pct(scheduledErr, 50).toFixed(1)} | ${pct(scheduledErr, 99).toFixed(1)} |`,
);
console.log(
  `| first token after the request was sent, ms late | ${mean(ttftErr).toFixed(1)} | ${pct(ttftErr, 50).toFixed(1)} | ${pct(ttftErr, 99).toFixed(1)} |`,
);
console.log(`| token rate error, % | ${mean(rateErr).toFixed(2)} | ${pct(rateErr, 50).toFixed(2)} | ${pct(rateErr, 99).toFixed(2)} |`);
