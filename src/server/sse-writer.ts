/**
 * Puts a stream plan on the socket with one timer per stream: every event that is due goes out in
 * one write, then the timer is set for the next. Backpressure waits for `drain`; a client that
 * goes away stops the stream and frees the timer.
 */
import type { ServerResponse } from "node:http";
import { SSE_DONE } from "../contract/wire.js";
import type { StreamEvent, StreamPlan } from "../stream/events.js";
import { STREAM_HEADERS } from "./respond.js";

export function writeStream(res: ServerResponse, plan: StreamPlan): void {
  const { events, headersAt } = plan;
  const start = performance.now();
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let headersSent = false;
  res.once("close", () => {
    closed = true;
    clearTimeout(timer);
  });

  const sendHeaders = () => {
    res.writeHead(200, STREAM_HEADERS);
    headersSent = true;
  };

  const pump = (): void => {
    timer = undefined;
    if (closed) return;
    const now = performance.now() - start;
    if (!headersSent) {
      if (now < headersAt) {
        timer = setTimeout(pump, headersAt - now);
        return;
      }
      sendHeaders();
      // Headers go out at once when the first event waits; otherwise they travel with it.
      if ((events[0]?.at ?? 0) > now) res.flushHeaders();
    }
    let batch = "";
    while (next < events.length && (events[next] as StreamEvent).at <= now) {
      const event = events[next++] as StreamEvent;
      switch (event.kind) {
        case "chunk":
        case "comment":
          batch += event.frame;
          break;
        case "raw":
          // A write of its own, so quirks can split bytes across network writes.
          if (batch !== "") res.write(batch);
          batch = "";
          res.write(event.bytes);
          break;
        case "done":
          res.end(batch + SSE_DONE);
          return;
        case "end":
          res.end(batch);
          return;
        case "destroy":
          if (batch === "") res.destroy();
          else res.write(batch, () => res.destroy());
          return;
        case "stall":
          // Silence, but with the status line and headers sent: the client is left waiting.
          if (batch !== "") res.write(batch);
          else res.flushHeaders();
          return;
      }
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
