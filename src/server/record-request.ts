/** Follows one request to its end: then it goes into the journal and, if asked, the log. */
import type { ServerResponse } from "node:http";
import type { JournalEntry } from "./journal.js";
import { logLine } from "./log.js";
import type { BodyRequest } from "./respond.js";
import type { MockState } from "./state.js";

/** The parts of a journal entry the chat route fills in as it goes. */
export type RequestRecord = Pick<
  JournalEntry,
  "session" | "model" | "stream" | "source" | "seed" | "fingerprint" | "fault" | "usage" | "error"
>;

// Bodies above this size are summarised, so the journal cannot hold gigabytes under load.
const MAX_BODY_KEPT = 256 * 1024;

// Credentials never reach the journal.
const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "x-api-key", "api-key"]);

function safeHeaders(req: BodyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = SECRET_HEADERS.has(name) ? "[redacted]" : Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function bodySize(req: BodyRequest): number {
  const size = Number(req.headers["content-length"] ?? 0);
  return Number.isFinite(size) && size > 0 ? size : 0;
}

function keptBody(req: BodyRequest, size: number): unknown {
  return size > MAX_BODY_KEPT ? { omitted: `a body of ${size} bytes` } : req.body;
}

export function journalRequest(state: MockState, req: BodyRequest, res: ServerResponse): RequestRecord {
  const started = performance.now();
  const at = new Date().toISOString();
  const seq = state.journal.nextSeq();
  state.metrics.started();
  const record: RequestRecord = {
    session: "",
    model: null,
    stream: null,
    source: null,
    seed: state.options.seed,
    fingerprint: null,
    fault: null,
    usage: null,
    error: null,
  };
  res.once("close", () => {
    const size = bodySize(req);
    const entry: JournalEntry = {
      seq,
      at,
      method: req.method ?? "",
      path: (req.url ?? "").split("?")[0] ?? "",
      ...record,
      status: res.statusCode,
      durationMs: Math.round(performance.now() - started),
      aborted: !res.writableFinished,
      request: { headers: safeHeaders(req), body: keptBody(req, size) },
    };
    state.journal.add(entry, size > MAX_BODY_KEPT ? 0 : size);
    state.metrics.ended(entry);
    if (state.options.log !== "none") logLine(state.options.log, entry);
  });
  return record;
}
