/** Sends a non-streamed answer when the stream would have ended, broken as its fault says. */
import type { ServerResponse } from "node:http";
import { httpError } from "../contract/http-errors.js";
import { MID_STREAM_ERROR } from "../contract/wire.js";
import type { JsonOutcome } from "../faults/json-outcome.js";
import { sendBody, sendError } from "./respond.js";

export interface JsonAnswer {
  body: unknown;
  /** 200 unless a recording says otherwise. */
  status?: number;
  /** For a recorded body that is text rather than JSON. */
  contentType?: string | undefined;
  afterMs: number;
  outcome: JsonOutcome;
}

function send(res: ServerResponse, answer: JsonAnswer): void {
  const { body, outcome } = answer;
  switch (outcome.action) {
    case "send":
      sendBody(res, { status: answer.status ?? 200, body, contentType: answer.contentType });
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

export function answerJson(res: ServerResponse, answer: JsonAnswer): void {
  const delay = answer.afterMs + answer.outcome.delayMs;
  if (delay <= 0) {
    send(res, answer);
    return;
  }
  const timer = setTimeout(() => send(res, answer), delay);
  res.once("close", () => clearTimeout(timer));
}
