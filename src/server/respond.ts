/** The HTTP edge's ways of answering: the JSON error envelope and the common headers. */
import type { Response } from "express";
import { MockError } from "../contract/errors.js";

export function sendError(res: Response, error: MockError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(error.status);
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(error.toBody()));
}

export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status);
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}

export const STREAM_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
} as const;

export function notFound(what: string): MockError {
  return new MockError({ status: 404, message: `Not found: ${what}. The endpoint is POST /api/v1/chat/completions.` });
}
