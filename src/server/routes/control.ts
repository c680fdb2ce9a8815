/** The `/_mock/*` control routes: health, journal, reset. */
import { Router } from "express";
import { VERSION } from "../../version.js";
import { sendJson } from "../respond.js";
import type { MockState } from "../state.js";

export function controlRoutes(state: MockState): Router {
  const router = Router();
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
  return router;
}
