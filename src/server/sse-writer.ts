/**
 * Puts timed events on the socket with one timer per stream: every event that is due goes out in
 * one write, then the timer is set for the next. Backpressure waits for `drain`; a client that
 * goes away stops the stream and frees the timer.
 */
import type { ServerResponse } from "node:http";
import { SSE_DONE } from "../contract/wire.js";
import type { StreamEvent } from "../stream/events.js";

export function writeEvents(res: ServerResponse, events: readonly StreamEvent[]): void {
  const start = performance.now();
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  res.once("close", () => {
    closed = true;
    clearTimeout(timer);
  });

  const pump = (): void => {
    timer = undefined;
    if (closed) return;
    const now = performance.now() - start;
    let batch = "";
    while (next < events.length && (events[next] as StreamEvent).at <= now) {
      const event = events[next++] as StreamEvent;
      if (event.kind === "done") {
        res.end(batch + SSE_DONE);
        return;
      }
      batch += event.frame;
    }
    if (next >= events.length) {
      res.end(batch);
      return;
    }
    const writable = batch === "" || res.write(batch);
    if (!writable) {
      res.once("drain", pump);
      return;
    }
    timer = setTimeout(pump, Math.max(1, (events[next] as StreamEvent).at - now));
  };
  pump();
}
