/**
 * The HTTP surface. createApp returns the Express app (for supertest or your own server) and never
 * listens. handlerFor adds a direct path for the chat endpoint in front of it, so the hot route
 * skips Express's router (measured in bench/throughput.ts); both call the same handleChat.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type ErrorRequestHandler, type Express } from "express";
import { nanoid } from "nanoid";
import { MockError } from "../contract/errors.js";
import { type Options, resolveOptions } from "../options.js";
import { type BodyParserError, bodyError, internalError } from "./body-errors.js";
import { type BodyRequest, notFound, sendError } from "./respond.js";
import { handleChat } from "./routes/chat.js";
import { controlRoutes } from "./routes/control.js";
import { modelsRoute } from "./routes/models.js";
import { createState, type MockState } from "./state.js";

const CHAT_PATHS = new Set(["/api/v1/chat/completions", "/v1/chat/completions"]);

const requestId = () => `req_${nanoid(24)}`;

// Any content type is read as JSON: curl without -H still gets an answer.
const jsonParser = (state: MockState) => express.json({ limit: state.options.maxBodyBytes, type: () => true, strict: true });

export function appFromState(state: MockState): Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  // Every response carries an x-request-id; the chat route replaces it with one derived from the seed.
  app.use((_req, res, next) => {
    res.setHeader("x-request-id", requestId());
    next();
  });
  const json = jsonParser(state);
  const models = modelsRoute(state.catalogue);
  for (const path of CHAT_PATHS) app.post(path, json, (req, res) => handleChat(state, req, res));
  for (const base of ["/api/v1", "/v1"]) app.get(`${base}/models`, models);
  app.use("/_mock", controlRoutes(state));
  app.get("/metrics", (_req, res) => {
    res.setHeader("content-type", "text/plain; version=0.0.4");
    res.end(state.metrics.render());
  });
  app.use((req, res) => sendError(res, notFound(`${req.method} ${req.path}`)));
  const onError: ErrorRequestHandler = (error: BodyParserError, req, res, _next) => {
    sendError(res, error instanceof MockError ? error : (bodyError(error) ?? internalError(error, `${req.method} ${req.path}`)));
  };
  app.use(onError);
  return app;
}

/** The request listener startMockServer serves: chat requests directly, everything else through Express. */
export function handlerFor(state: MockState): (req: IncomingMessage, res: ServerResponse) => void {
  const app = appFromState(state);
  const json = jsonParser(state);
  return (req, res) => {
    if (req.method !== "POST" || !CHAT_PATHS.has(req.url ?? "")) {
      app(req, res);
      return;
    }
    res.setHeader("x-request-id", requestId());
    json(req, res, (error?: BodyParserError) => {
      if (error) {
        sendError(res, bodyError(error) ?? internalError(error, "POST /api/v1/chat/completions"));
        return;
      }
      handleChat(state, req as BodyRequest, res).catch((thrown: unknown) => {
        sendError(res, internalError(thrown as Error, "POST /api/v1/chat/completions"));
      });
    });
  };
}

/** The Express app for supertest or your own server. */
export function createApp(options: Options = {}): Express {
  return appFromState(createState(resolveOptions(options)));
}
