/** createApp: the Express app over a resolved state. It never listens; startMockServer does. */
import express, { type ErrorRequestHandler, type Express } from "express";
import { nanoid } from "nanoid";
import { badRequest, MockError } from "../contract/errors.js";
import { type Options, resolveOptions } from "../options.js";
import { notFound, sendError } from "./respond.js";
import { chatRoute } from "./routes/chat.js";
import { controlRoutes } from "./routes/control.js";
import { modelsRoute } from "./routes/models.js";
import { createState, type MockState } from "./state.js";

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

function bodyError(error: BodyParserError): MockError | undefined {
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

export function appFromState(state: MockState): Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  // Every response carries an x-request-id; the chat route replaces it with one derived from the seed.
  app.use((_req, res, next) => {
    res.setHeader("x-request-id", `req_${nanoid(24)}`);
    next();
  });
  // Any content type is read as JSON: curl without -H still gets an answer.
  const json = express.json({ limit: state.options.maxBodyBytes, type: () => true, strict: true });
  const chat = chatRoute(state);
  const models = modelsRoute(state.catalogue);
  for (const base of ["/api/v1", "/v1"]) {
    app.post(`${base}/chat/completions`, json, chat);
    app.get(`${base}/models`, models);
  }
  app.use("/_mock", controlRoutes(state));
  app.use((req, res) => sendError(res, notFound(`${req.method} ${req.path}`)));
  const onError: ErrorRequestHandler = (error: BodyParserError, req, res, _next) => {
    const known = error instanceof MockError ? error : bodyError(error);
    if (known) {
      sendError(res, known);
      return;
    }
    console.error(`cline-mock: internal error on ${req.method} ${req.path}:`, error);
    sendError(
      res,
      new MockError({
        status: 500,
        message: `Internal error in cline-mock: ${error.message}. This is a bug; please report it.`,
        type: "server_error",
      }),
    );
  };
  app.use(onError);
  return app;
}

/** The Express app for supertest or your own server. */
export function createApp(options: Options = {}): Express {
  return appFromState(createState(resolveOptions(options)));
}
