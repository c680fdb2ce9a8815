/** Sends a request to the real API and hands back its response as it arrives. */
import { MockError } from "../contract/errors.js";

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array>;
}

// Never forwarded: they describe our connection, or are for the mock alone.
const HOP_HEADERS = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "accept-encoding",
  "expect",
  "upgrade",
]);

export function upstreamHeaders(
  incoming: Record<string, string | string[] | undefined>,
  apiKey: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_HEADERS.has(name) || name.startsWith("x-mock-")) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  // Cassettes hold plain text: the upstream must not compress.
  out["accept-encoding"] = "identity";
  out["content-type"] = "application/json";
  if (out.authorization === undefined && apiKey) out.authorization = `Bearer ${apiKey}`;
  return out;
}

export function unreachable(url: string, error: unknown, timeoutMs: number, timedOut: boolean): MockError {
  if (timedOut) {
    return new MockError({
      status: 504,
      message: `Upstream timed out: ${url} sent no response within ${timeoutMs} ms (--upstream-timeout).`,
      metadata: { upstream: url },
    });
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (error as Error).message;
  return new MockError({ status: 502, message: `Upstream unreachable: ${url} (${why}).`, metadata: { upstream: url, reason: why } });
}

export async function forward(params: {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Aborted when the client goes away; aborts the upstream request too. */
  signal: AbortSignal;
  /** How long the upstream may take to start answering. */
  timeoutMs: number;
}): Promise<UpstreamResponse> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), params.timeoutMs);
  const signal = AbortSignal.any([params.signal, timeout.signal]);
  let response: Response;
  try {
    response = await fetch(params.url, { method: "POST", headers: params.headers, body: params.body, signal, redirect: "manual" });
  } catch (error) {
    throw unreachable(params.url, error, params.timeoutMs, timeout.signal.aborted);
  } finally {
    clearTimeout(timer);
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, body: response.body ?? (async function* () {})() };
}
