/** One line per request: method, path, model, source, status, ms. */
import type { JournalEntry } from "./journal.js";

export function logLine(format: "pretty" | "json", e: JournalEntry): void {
  if (format === "json") {
    process.stdout.write(
      `${JSON.stringify({ at: e.at, method: e.method, path: e.path, model: e.model, source: e.source, status: e.status, ms: e.durationMs, aborted: e.aborted, error: e.error })}\n`,
    );
    return;
  }
  const parts = [e.method, e.path, e.model ?? "-", e.source ?? "-", String(e.status), `${e.durationMs}ms`];
  if (e.aborted) parts.push("(client went away)");
  if (e.error) parts.push(`: ${e.error}`);
  process.stdout.write(`${parts.join(" ")}\n`);
}
