/** A small loopback load generator: N requests at concurrency C, each body read to the end. */
import { Agent, request } from "node:http";

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  bytes: number;
}

export async function load(params: { url: string; body: string; total: number; concurrency: number }): Promise<LoadResult> {
  const { url, body, total, concurrency } = params;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  let started = 0;
  let errors = 0;
  let bytes = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: { authorization: "Bearer bench", "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          if (res.statusCode !== 200) errors++;
          res.on("data", (d: Buffer) => {
            bytes += d.length;
          });
          res.on("end", resolve);
          res.on("error", () => {
            errors++;
            resolve();
          });
        },
      );
      req.on("error", () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const worker = async () => {
    while (started < total) {
      started++;
      await one();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { requests: total, errors, seconds, perSecond: total / seconds, bytes };
}
