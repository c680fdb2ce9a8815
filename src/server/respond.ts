/** The HTTP edge's ways of answering: the JSON error envelope and the common headers. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { MockError } from "../contract/errors.js";

/** A request whose JSON body has been read (by express.json). */
export type BodyRequest = IncomingMessage & { body?: unknown };

export function sendError(res: ServerResponse, error: MockError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.afterMs > 0) {
    const timer = setTimeout(() => writeError(res, error), error.afterMs);
    res.once("close", () => clearTimeout(timer));
    return;
  }
  writeError(res, error);
}

function writeError(res: ServerResponse, error: MockError): void {
  res.statusCode = error.status;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(error.toBody()));
}

/** A body as recorded: text as it was (with its content type), anything else as JSON. */
export function sendBody(res: ServerResponse, params: { status: number; body: unknown; contentType?: string | undefined }): void {
  if (typeof params.body !== "string") {
    sendJson(res, params.status, params.body);
    return;
  }
  res.statusCode = params.status;
  res.setHeader("content-type", params.contentType ?? "text/plain; charset=utf-8");
  res.end(params.body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
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
