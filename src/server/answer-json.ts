/** Sends a non-streamed answer when the stream would have ended, broken as its fault says. */
import type { ServerResponse } from "node:http";
import { httpError } from "../contract/http-errors.js";
import { MID_STREAM_ERROR } from "../contract/wire.js";
import type { JsonOutcome } from "../faults/json-outcome.js";
import { sendError, sendJson } from "./respond.js";

function send(res: ServerResponse, body: unknown, outcome: JsonOutcome): void {
  switch (outcome.action) {
    case "send":
      sendJson(res, 200, body);
      return;
    case "error":
      sendError(res, httpError(502, { message: `Provider returned error: ${MID_STREAM_ERROR.message}` }));
      return;
    case "destroy":
      res.destroy();
      return;
    case "stall":
      return; // the connection stays open until the client gives up
    case "malformed":
    case "truncate": {
      const text = JSON.stringify(body);
      res.statusCode = 200;
      res.setHeader("content-type", "application/json");
      res.end(outcome.action === "truncate" ? text.slice(0, Math.floor(text.length / 2)) : `${text.slice(0, 40)}<<not json>>`);
      return;
    }
  }
}

export function answerJson(res: ServerResponse, params: { body: unknown; afterMs: number; outcome: JsonOutcome }): void {
  const delay = params.afterMs + params.outcome.delayMs;
  if (delay <= 0) {
    send(res, params.body, params.outcome);
    return;
  }
  const timer = setTimeout(() => send(res, params.body, params.outcome), delay);
  res.once("close", () => clearTimeout(timer));
}
