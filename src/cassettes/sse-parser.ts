/** Splits upstream SSE bytes into recorded events that render back to exactly the text received. */
import type { RecordedEvent } from "./schema.js";

const DATA_EVENT = /^data: ([^\r\n]*)\n\n$/;
const COMMENT_EVENT = /^:([^\r\n]*)\n\n$/;

/** The bytes an event stands for: `data: x\n\n`, `:x\n\n`, or the raw text as received. */
export function renderEvent(e: RecordedEvent): string {
  if ("data" in e) return `data: ${e.data}\n\n`;
  if ("comment" in e) return `:${e.comment}\n\n`;
  return e.raw;
}

/** One event's text as the most specific recorded form that renders back to the same text. */
export function classifyEvent(text: string, ms: number): RecordedEvent {
  const data = DATA_EVENT.exec(text);
  if (data) return { ms, data: data[1] as string };
  const comment = COMMENT_EVENT.exec(text);
  if (comment) return { ms, comment: comment[1] as string };
  return { ms, raw: text };
}

type Scan = { end: number } | { resume: number };

/**
 * Finds the end of the first event in `text` (just past its blank line), scanning lines from
 * `from`, a line start. Lines end with `\r\n`, `\n` or `\r` (the SSE rules); a `\r` at the very end
 * may be the first half of `\r\n`, so unless the input is `final` the scan stops before that line.
 */
function scanEvent(text: string, from: number, final: boolean): Scan {
  let line = from;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13) continue;
    let width = 1;
    if (c === 13) {
      if (i + 1 === text.length && !final) return { resume: line };
      if (text.charCodeAt(i + 1) === 10) width = 2;
    }
    if (i === line) return { end: i + width };
    line = i + width;
    i += width - 1;
  }
  return { resume: line };
}

export class SseParser {
  // ignoreBOM keeps a leading byte-order mark in the text, so nothing received is lost.
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  private buffer = "";
  /** Where scanning resumes: the start of the first line of `buffer` not yet known to be non-blank. */
  private scanned = 0;

  /** Adds bytes (or already decoded text) received at `ms`; returns the events they complete. */
  push(bytes: Uint8Array | string, ms: number): RecordedEvent[] {
    this.buffer += typeof bytes === "string" ? bytes : this.decoder.decode(bytes, { stream: true });
    return this.drain(ms, false);
  }

  /** Ends the input: returns the remaining events, a trailing partial one as `raw`. */
  end(ms: number): RecordedEvent[] {
    this.buffer += this.decoder.decode();
    const events = this.drain(ms, true);
    if (this.buffer !== "") events.push({ ms, raw: this.buffer });
    this.buffer = "";
    this.scanned = 0;
    return events;
  }

  private drain(ms: number, final: boolean): RecordedEvent[] {
    const events: RecordedEvent[] = [];
    for (;;) {
      const scan = scanEvent(this.buffer, this.scanned, final);
      if ("resume" in scan) {
        this.scanned = scan.resume;
        return events;
      }
      events.push(classifyEvent(this.buffer.slice(0, scan.end), ms));
      this.buffer = this.buffer.slice(scan.end);
      this.scanned = 0;
    }
  }
}
