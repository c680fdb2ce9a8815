/** Errors of express.json (body-parser) as the contract's envelope. */
import { badRequest, MockError } from "../contract/errors.js";

export interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

export function bodyError(error: BodyParserError): MockError | undefined {
  switch (error.type) {
    case "entity.parse.failed":
      return badRequest(`Malformed JSON in the request body: ${error.message}.`);
    case "entity.too.large":
      return new MockError({
        status: 413,
        message: `Request body too large: the limit is ${error.limit} bytes.`,
        type: "invalid_request_error",
      });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new MockError({ status: 415, message: `Unsupported request encoding: ${error.message}.`, type: "invalid_request_error" });
    case "request.aborted":
      return badRequest("The request body was cut off before it ended.");
    default:
      return error.status !== undefined && error.status < 500 ? badRequest(error.message) : undefined;
  }
}

export function internalError(error: Error, where: string): MockError {
  console.error(`cline-mock: internal error on ${where}:`, error);
  return new MockError({
    status: 500,
    message: `Internal error in cline-mock: ${error.message}. This is a bug; please report it.`,
    type: "server_error",
  });
}
