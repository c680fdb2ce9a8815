/** The per-request `x-mock-*` control headers, checked once at the edge. */
import type { IncomingHttpHeaders } from "node:http";
import { checkCassetteName } from "../cassettes/names.js";
import { badRequest } from "../contract/errors.js";
import { type FaultSpec, parseFaultSpec } from "../faults/fault-spec.js";
import { isLatencyPreset, type LatencyPreset, latencyPresetNames } from "../stream/latency.js";

export interface ControlHeaders {
  /** x-mock-cassette, checked to stay inside the cassettes folder. */
  cassette: string | undefined;
  scenario: string | undefined;
  fault: FaultSpec | undefined;
  seed: string | undefined;
  latency: LatencyPreset | undefined;
  session: string;
}

const MAX_LENGTH = 200;

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  const text = (Array.isArray(value) ? value[0] : value)?.trim() ?? "";
  if (text === "") throw badRequest(`The ${name} header is empty; leave it out or give a value.`, name);
  if (text.length > MAX_LENGTH) throw badRequest(`The ${name} header is longer than ${MAX_LENGTH} characters.`, name);
  return text;
}

export function readControlHeaders(headers: IncomingHttpHeaders): ControlHeaders {
  const latency = single(headers, "x-mock-latency");
  if (latency !== undefined && !isLatencyPreset(latency)) {
    throw badRequest(`The x-mock-latency header must be one of ${latencyPresetNames.join(", ")}, got "${latency}".`, "x-mock-latency");
  }
  const seed = single(headers, "x-mock-seed");
  const cassette = single(headers, "x-mock-cassette");
  const badName = cassette === undefined ? undefined : checkCassetteName(cassette);
  if (badName) throw badName;
  const faultText = single(headers, "x-mock-fault");
  const fault = faultText === undefined ? undefined : parseFaultSpec(faultText);
  if (typeof fault === "string") throw badRequest(`The x-mock-fault header ${fault}.`, "x-mock-fault");
  return {
    cassette,
    scenario: single(headers, "x-mock-scenario"),
    fault,
    seed,
    latency,
    session: single(headers, "x-mock-session") ?? "",
  };
}
