/** The error answers of the chat endpoint that come from scenarios and faults. */

import type { CassetteLibrary } from "../cassettes/library.js";
import { MockError } from "../contract/errors.js";
import { httpError } from "../contract/http-errors.js";
import type { Fault } from "../faults/fault-spec.js";
import type { CompiledScenario } from "../scenarios/compile.js";
import type { RequestView } from "../scenarios/request-view.js";
import type { Reply } from "../scenarios/schema.js";
import { nearestScenarios } from "../scenarios/select.js";
import type { ModelEntry } from "../usage/catalogue.js";

/** A scenario's `status`/`error` reply. */
export function replyError(reply: Reply): MockError {
  const error = typeof reply.error === "string" ? { message: reply.error } : (reply.error ?? {});
  return httpError(reply.status ?? 500, error);
}

/**
 * The error of an `http:STATUS` fault among the request's faults, if there is one; a `ttfb:MS`
 * among them delays it. `http:400:context` names the model's context length.
 */
export function faultError(faults: readonly Fault[], promptTokens: number, model: ModelEntry | undefined): MockError | undefined {
  const http = faults.find((f): f is Extract<Fault, { kind: "http" }> => f.kind === "http");
  if (!http) return undefined;
  const afterMs = faults.reduce((ms, f) => (f.kind === "ttfb" ? ms + f.ms : ms), 0);
  const error = httpStatusError(http, promptTokens, model);
  return afterMs === 0 ? error : error.delayed(afterMs);
}

function httpStatusError(fault: Extract<Fault, { kind: "http" }>, promptTokens: number, model: ModelEntry | undefined): MockError {
  if (fault.variant !== "context") return httpError(fault.status);
  const limit = model?.contextLength ?? 200_000;
  return httpError(400, {
    message: `This endpoint's maximum context length is ${limit} tokens. However, you requested about ${limit + promptTokens} tokens (${limit + promptTokens - 4096} of text input, 4096 in the output). Please reduce the length of either one.`,
    code: 400,
    metadata: { provider_name: null },
  });
}

export function unknownScenario(name: string, scenarios: readonly CompiledScenario[]): MockError {
  return new MockError({
    status: 400,
    type: "invalid_request_error",
    param: "x-mock-scenario",
    message: `The x-mock-scenario header names "${name}", but no scenario has that name. Known: ${scenarios.map((s) => s.name).join(", ")}.`,
  });
}

export function noMatch(scenarios: readonly CompiledScenario[], view: RequestView): MockError {
  const nearest = nearestScenarios(scenarios, view);
  const described = nearest.map((n) => `"${n.name}" (${n.failed.join("; ") || "matches, but was not reached"})`).join(", ");
  return new MockError({
    status: 404,
    code: "no_scenario_matched",
    message: `No scenario matched this request for model "${view.model}". ${
      nearest.length > 0 ? `Closest: ${described}.` : "No scenarios are loaded."
    } Add a scenario that matches, name one with the x-mock-scenario header, or start with --on-miss fallback.`,
    metadata: { closest: nearest },
  });
}

export function rateLimited(retryAfter: number, headers: Record<string, string>): MockError {
  return new MockError({
    status: 429,
    message: `Rate limit exceeded: this session is over its --rate-limit; retry after ${retryAfter} s.`,
    headers: { ...headers, "retry-after": String(retryAfter) },
  });
}

/** A replay miss: names the closest recorded requests and the fields that differ. */
export function cassetteMiss(library: CassetteLibrary, name: string, redactedBody: unknown): MockError {
  if (!library.has(name)) {
    return new MockError({
      status: 404,
      code: "no_recording",
      message: `No cassette named "${name}" in the cassettes folder. Record it first (cline-mock record --upstream URL), or check --cassettes and the x-mock-cassette header.`,
      metadata: { cassette: name },
    });
  }
  const closest = library.closest(name, redactedBody);
  const described = closest.map((c) => `#${c.index} (differs at ${c.differs.join(", ") || "nothing but the recording order"})`).join("; ");
  return new MockError({
    status: 404,
    code: "no_recording",
    message: `No recording in cassette "${name}" matches this request. Closest: ${described || "none: the cassette is empty"}. Re-record, or leave volatile fields out of matching with --match-ignore.`,
    metadata: { cassette: name, closest },
  });
}
