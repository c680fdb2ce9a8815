/**
 * The one fault grammar (SPEC.md section 5), used by --fault, --faults, the x-mock-fault header and
 * a scenario's `fault:`. A spec is one fault or several joined by `+` (or `,` where a single spec
 * is expected): `ttfb:500+error@3`.
 */
export const quirkNames = ["event-lines", "crlf", "split-utf8", "raw-error-line", "keepalive-flood", "no-done", "usage-chunk"] as const;
export type QuirkName = (typeof quirkNames)[number];

export type Fault =
  | { kind: "http"; status: number; variant?: "context" }
  | { kind: "error"; at: number }
  | { kind: "disconnect"; at: number }
  | { kind: "stall"; at: number; ms?: number }
  | { kind: "malformed"; at: number }
  | { kind: "truncate"; at: number }
  | { kind: "slow"; at: number; ms: number }
  | { kind: "ttfb"; ms: number }
  | { kind: "quirk"; name: QuirkName };

export interface FaultSpec {
  /** The spec as written, for headers and the journal. */
  text: string;
  faults: Fault[];
}

export const FAULT_GRAMMAR =
  "http:STATUS, http:400:context, error@N, disconnect@N, stall@N, stall@N:MS, malformed@N, truncate@N, slow@N:MS, ttfb:MS, " +
  `quirk:NAME (${quirkNames.join(", ")})`;

const MAX_MS = 600_000;

function parseOne(text: string): Fault | string {
  const t = text.trim();
  let m = /^http:(\d{3})(?::(context))?$/.exec(t);
  if (m) {
    const status = Number(m[1]);
    if (status < 400 || status > 599) return `"${t}": the status must be an error status from 400 to 599`;
    if (m[2] && status !== 400) return `"${t}": the context variant is a 400`;
    return m[2] ? { kind: "http", status, variant: "context" } : { kind: "http", status };
  }
  m = /^(error|disconnect|malformed|truncate)@(\d+)$/.exec(t);
  if (m) return { kind: m[1] as "error" | "disconnect" | "malformed" | "truncate", at: Number(m[2]) };
  m = /^(stall|slow)@(\d+)(?::(\d+))?$/.exec(t);
  if (m) {
    const ms = m[3] === undefined ? undefined : Number(m[3]);
    if (ms !== undefined && ms > MAX_MS) return `"${t}": MS must be at most ${MAX_MS}`;
    if (m[1] === "stall") return ms === undefined ? { kind: "stall", at: Number(m[2]) } : { kind: "stall", at: Number(m[2]), ms };
    if (ms === undefined) return `"${t}": slow needs a pause, as slow@N:MS`;
    return { kind: "slow", at: Number(m[2]), ms };
  }
  m = /^ttfb:(\d+)$/.exec(t);
  if (m) {
    const ms = Number(m[1]);
    return ms > MAX_MS ? `"${t}": MS must be at most ${MAX_MS}` : { kind: "ttfb", ms };
  }
  m = /^quirk:([a-z0-9-]+)$/.exec(t);
  if (m) {
    const name = m[1] as QuirkName;
    return quirkNames.includes(name) ? { kind: "quirk", name } : `"${t}": unknown quirk; quirks are ${quirkNames.join(", ")}`;
  }
  return `"${t}" is not a fault; faults are ${FAULT_GRAMMAR}`;
}

/** `none`: no fault, even where the server or a scenario would inject one. */
export const NO_FAULT: FaultSpec = { text: "none", faults: [] };

/** Parses one spec (faults joined by `+` or `,`), or returns a sentence saying what is wrong. */
export function parseFaultSpec(text: string): FaultSpec | string {
  if (text.trim() === "none") return NO_FAULT;
  const parts = text.split(/[+,]/).filter((p) => p.trim() !== "");
  if (parts.length === 0) return "is empty; give a fault such as error@3 or http:429";
  const faults: Fault[] = [];
  for (const part of parts) {
    const fault = parseOne(part);
    if (typeof fault === "string") return fault;
    faults.push(fault);
  }
  if (faults.filter((f) => f.kind === "http").length > 1) return `"${text}": only one http: fault can apply`;
  return { text: parts.map((p) => p.trim()).join("+"), faults };
}

/** Parses a --faults list: comma-separated specs, each of which may join faults with `+`. */
export function parseFaultList(text: string): FaultSpec[] | string {
  const specs: FaultSpec[] = [];
  for (const item of text.split(",").filter((p) => p.trim() !== "")) {
    const spec = parseFaultSpec(item);
    if (typeof spec === "string") return spec;
    specs.push(spec);
  }
  return specs.length > 0 ? specs : "is empty; list faults such as http:429,error@3";
}
