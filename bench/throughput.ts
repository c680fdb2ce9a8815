/**
 * Throughput of cline-mock against baselines in the same run: bare node:http and Express, each
 * sending the same SSE bytes with no work. The ratios are what the README reports; absolute
 * figures depend on the machine.
 *
 *   npm run bench            (builds first)
 *   BENCH_TOTAL=20000 BENCH_CONCURRENCY=500 npm run bench
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { load } from "./load.js";

const total = Number(process.env.BENCH_TOTAL ?? 6000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 200);
const root = fileURLToPath(new URL("..", import.meta.url));

function startChild(command: string, args: string[]): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, origin: m[1] as string });
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}`)));
  });
}

const request = JSON.stringify({
  model: "anthropic/claude-sonnet-4-6",
  stream: true,
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "hello, how are you today?" },
  ],
});

async function measure(name: string, command: string, args: string[]) {
  const { child, origin } = await startChild(command, args);
  const url = `${origin}/api/v1/chat/completions`;
  await load({ url, body: request, total: Math.min(500, total), concurrency }); // warm-up
  const result = await load({ url, body: request, total, concurrency });
  child.kill("SIGTERM");
  return { name, ...result };
}

async function mockBody(): Promise<string> {
  const { child, origin } = await startChild(process.execPath, ["bin/cline-mock", "--port", "0", "--latency", "none", "--log", "none"]);
  const res = await fetch(`${origin}/api/v1/chat/completions`, { method: "POST", headers: { authorization: "Bearer b" }, body: request });
  const text = await res.text();
  child.kill("SIGTERM");
  return text;
}

const body = await mockBody();
const tsx = [fileURLToPath(new URL("../node_modules/tsx/dist/cli.mjs", import.meta.url))];
const servers: Array<[string, string[]]> = [
  ["node:http, fixed body", [...tsx, "bench/baseline-server.ts", "node", body]],
  ["express, fixed body", [...tsx, "bench/baseline-server.ts", "express", body]],
  ["express without express.json", [...tsx, "bench/baseline-server.ts", "express-raw", body]],
  ["cline-mock (latency none)", ["bin/cline-mock", "--port", "0", "--latency", "none", "--log", "none"]],
];
// The machine is noisy: each server is measured in several interleaved rounds and its best round kept.
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const best = new Map<string, Awaited<ReturnType<typeof measure>>>();
for (let round = 0; round < rounds; round++) {
  for (const [name, args] of servers) {
    const r = await measure(name, process.execPath, args);
    if ((best.get(name)?.perSecond ?? 0) < r.perSecond) best.set(name, r);
  }
}
const rows = servers.map(([name]) => best.get(name) as Awaited<ReturnType<typeof measure>>);
const floor = rows[0]?.perSecond ?? 1;
console.log(`\n${total} streamed requests at concurrency ${concurrency}, ${body.length} bytes each, best of ${rounds} rounds\n`);
console.log("| server | requests/s | vs node:http | bytes/request | errors |");
console.log("|---|---|---|---|---|");
for (const r of rows)
  console.log(
    `| ${r.name} | ${Math.round(r.perSecond)} | ${(r.perSecond / floor).toFixed(2)} | ${Math.round(r.bytes / r.requests)} | ${r.errors} |`,
  );
