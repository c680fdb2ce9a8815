/** The `/_mock/*` control routes: health, journal, reset, scenarios added at run time. */
import express, { type RequestHandler, Router } from "express";
import { badRequest, MockError } from "../../contract/errors.js";
import { findWarnings, scenariosFromSource } from "../../scenarios/load.js";
import { FileError, readYaml } from "../../util/yaml-file.js";
import { VERSION } from "../../version.js";
import { sendError, sendJson } from "../respond.js";
import type { MockState } from "../state.js";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** Control routes change what every client gets: loopback only, or with the admin token. */
export function guard(token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (token === undefined) {
      if (LOOPBACK.test(req.socket.remoteAddress ?? "")) return next();
      return sendError(
        res,
        new MockError({
          status: 403,
          message: "The /_mock control routes answer loopback clients only; start cline-mock with --admin-token to allow others.",
        }),
      );
    }
    const given = req.headers["x-mock-admin-token"] ?? /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (given === token) return next();
    sendError(
      res,
      new MockError({
        status: 401,
        message: "The /_mock control routes need the admin token, as `x-mock-admin-token: TOKEN` or `Authorization: Bearer TOKEN`.",
      }),
    );
  };
}

export function controlRoutes(state: MockState): Router {
  const router = Router();
  router.use(guard(state.options.adminToken));
  router.get("/health", (_req, res) => sendJson(res, 200, { ok: true, version: VERSION, mode: "replay" }));
  router.get("/requests", (req, res) => {
    const session = typeof req.query.session === "string" ? req.query.session : undefined;
    const entries = state.journal.list();
    sendJson(res, 200, { requests: session === undefined ? entries : entries.filter((e) => e.session === session) });
  });
  router.delete("/requests", (_req, res) => {
    state.journal.clear();
    sendJson(res, 200, { ok: true });
  });
  router.post("/reset", (_req, res) => {
    state.reset();
    sendJson(res, 200, { ok: true });
  });
  // YAML is a superset of JSON, so one reader takes both.
  router.post("/scenarios", express.text({ type: () => true, limit: state.options.maxBodyBytes }), (req, res) => {
    try {
      const added = scenariosFromSource(readYaml(typeof req.body === "string" ? req.body : "", "POST /_mock/scenarios"));
      state.addedScenarios = [...added, ...state.addedScenarios];
      sendJson(res, 201, { added: added.map((s) => s.name), warnings: findWarnings(state.scenarios()) });
    } catch (error) {
      if (!(error instanceof FileError)) throw error;
      sendError(res, badRequest(`Scenarios not added: ${error.message}`));
    }
  });
  router.delete("/scenarios", (_req, res) => {
    const removed = state.addedScenarios.map((s) => s.name);
    state.addedScenarios = [];
    sendJson(res, 200, { removed });
  });
  return router;
}
