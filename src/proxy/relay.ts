/**
 * Streams an upstream response to the client as it arrives, byte for byte, while keeping a copy
 * for the cassette: SSE events with their time offsets, or the JSON body.
 */
import type { ServerResponse } from "node:http";
import type { RecordedEvent } from "../cassettes/schema.js";
import { SseParser } from "../cassettes/sse-parser.js";
import type { UpstreamResponse } from "./forward.js";

// Headers that describe the upstream's connection or encoding, not the answer.
const DROP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "date"]);

export interface Relayed {
  events?: RecordedEvent[];
  body?: unknown;
  /** Why the upstream stopped before the response ended, if it did. */
  broken?: string;
  /** The client went away before the end. */
  aborted: boolean;
}

export function responseHeaders(upstream: UpstreamResponse): Record<string, string> {
  return Object.fromEntries(Object.entries(upstream.headers).filter(([name]) => !DROP.has(name)));
}

export async function relay(params: { upstream: UpstreamResponse; res: ServerResponse; started: number; keep: boolean }): Promise<Relayed> {
  const { upstream, res, started, keep } = params;
  const isStream = (upstream.headers["content-type"] ?? "").includes("text/event-stream");
  const parser = isStream && keep ? new SseParser() : undefined;
  const events: RecordedEvent[] = [];
  const parts: Buffer[] = [];
  const ms = () => Math.round(performance.now() - started);
  let broken: string | undefined;
  try {
    for await (const chunk of upstream.body) {
      if (res.destroyed) break;
      if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
      if (parser) events.push(...parser.push(chunk, ms()));
      else if (keep) parts.push(Buffer.from(chunk));
    }
  } catch (error) {
    broken = `upstream stream failed: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`;
  }
  const aborted = res.destroyed && !res.writableFinished;
  if (parser) events.push(...parser.end(ms()));
  if (!isStream) {
    const text = Buffer.concat(parts).toString("utf8");
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Kept as text: the upstream sent something that is not JSON.
    }
    return { body, aborted, ...(broken ? { broken } : {}) };
  }
  return { events, aborted, ...(broken ? { broken } : {}) };
}
