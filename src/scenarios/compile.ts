/** A scenario checked and compiled: its match as a list of conditions, its replies as steps. */
import { type FaultSpec, parseFaultSpec } from "../faults/fault-spec.js";
import { type ChunkSpec, parseChunkSpec } from "../stream/chunk-spec.js";
import { compilePattern, type Pattern } from "./pattern.js";
import type { RequestView } from "./request-view.js";
import type { Match, Reply, Scenario, StreamSettings } from "./schema.js";
import { checkTemplate } from "./template.js";

export interface Condition {
  /** How the condition reads in a "closest scenarios" message, e.g. `model "anthropic/*"`. */
  label: string;
  /** Captures when the condition holds (possibly none), or null. */
  check(view: RequestView): Record<string, string> | null;
  /** What the request had instead, for messages. */
  actual(view: RequestView): string;
}

export interface Step {
  reply: Reply;
  stream: StreamSettings | undefined;
  /** `stream.chunk`, parsed. */
  chunk: ChunkSpec | undefined;
  fault: FaultSpec | undefined;
}

export interface CompiledScenario {
  name: string;
  /** Where it was defined, e.g. `scenarios/demo.yaml:12`, or `code` for inline ones. */
  origin: string;
  conditions: Condition[];
  steps: Step[];
}

/** A problem with a field of one scenario; the loader adds the file and line. */
export class ScenarioProblem extends Error {
  constructor(
    readonly path: PropertyKey[],
    message: string,
  ) {
    super(message);
  }
}

const EMPTY: Record<string, string> = {};

function captures(m: RegExpExecArray | string[]): Record<string, string> {
  const out: Record<string, string> = {};
  m.forEach((v, i) => {
    if (v !== undefined) out[String(i)] = v;
  });
  if ("groups" in m && m.groups) Object.assign(out, m.groups);
  return out;
}

function pattern(source: string, plain: "exact" | "substring", path: PropertyKey[]): Pattern {
  const compiled = compilePattern(source, plain);
  if (typeof compiled === "string") throw new ScenarioProblem(path, compiled);
  return compiled;
}

function headerValue(view: RequestView, name: string): string {
  const v = view.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(", ") : (v ?? "");
}

function compileMatch(match: Match | undefined): Condition[] {
  if (!match) return [];
  const out: Condition[] = [];
  if (match.model !== undefined) {
    const p = pattern(match.model, "exact", ["match", "model"]);
    out.push({
      label: `model ${JSON.stringify(p.source)}`,
      check: (v) => p.exec(v.model) && EMPTY,
      actual: (v) => JSON.stringify(v.model),
    });
  }
  if (match.lastUserMessage !== undefined) {
    const p = pattern(match.lastUserMessage, "substring", ["match", "lastUserMessage"]);
    out.push({
      label: `lastUserMessage ${JSON.stringify(p.source)}`,
      check: (v) => {
        const m = p.exec(v.lastUserMessage);
        return m ? captures(m) : null;
      },
      actual: (v) => JSON.stringify(v.lastUserMessage.length > 60 ? `${v.lastUserMessage.slice(0, 60)}…` : v.lastUserMessage),
    });
  }
  if (match.lastMessageRole !== undefined) {
    const role = match.lastMessageRole;
    out.push({
      label: `lastMessageRole ${role}`,
      check: (v) => (v.lastMessageRole === role ? EMPTY : null),
      actual: (v) => v.lastMessageRole,
    });
  }
  if (match.hasTools !== undefined) {
    const want = match.hasTools;
    out.push({ label: `hasTools ${want}`, check: (v) => (v.hasTools === want ? EMPTY : null), actual: (v) => String(v.hasTools) });
  }
  if (match.stream !== undefined) {
    const want = match.stream;
    out.push({ label: `stream ${want}`, check: (v) => (v.stream === want ? EMPTY : null), actual: (v) => String(v.stream) });
  }
  for (const [name, source] of Object.entries(match.headers ?? {})) {
    const p = pattern(source, "exact", ["match", "headers", name]);
    out.push({
      label: `header ${name} ${JSON.stringify(source)}`,
      check: (v) => p.exec(headerValue(v, name)) && EMPTY,
      actual: (v) => JSON.stringify(headerValue(v, name)),
    });
  }
  return out;
}

/** Every string of a reply that templates may appear in, with its path. */
function* replyStrings(value: unknown, path: PropertyKey[]): Generator<[string, PropertyKey[]]> {
  if (typeof value === "string") yield [value, path];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* replyStrings(v, [...path, i]);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) yield* replyStrings(v, [...path, k]);
  }
}

export function compileScenario(scenario: Scenario, fallbackName: string, origin: string): CompiledScenario {
  const conditions = compileMatch(scenario.match);
  // The schema has checked every fault spec, so parsing cannot fail here.
  const fault = (text: string | undefined) => (text === undefined ? undefined : (parseFaultSpec(text) as FaultSpec));
  const step = (reply: Reply | undefined, stream: StreamSettings | undefined, faultText: string | undefined): Step => ({
    reply: reply ?? {},
    stream,
    chunk: stream?.chunk === undefined ? undefined : (parseChunkSpec(stream.chunk) as ChunkSpec),
    fault: fault(faultText),
  });
  const steps: Step[] = scenario.sequence
    ? scenario.sequence.map((s) => step(s.reply ?? scenario.reply, s.stream ?? scenario.stream, s.fault ?? scenario.fault))
    : [step(scenario.reply, scenario.stream, scenario.fault)];
  const stepPath = (i: number): PropertyKey[] => (scenario.sequence ? ["sequence", i, "reply"] : ["reply"]);
  steps.forEach((step, i) => {
    for (const [text, path] of replyStrings(step.reply, stepPath(i))) {
      const problem = checkTemplate(text);
      if (problem) throw new ScenarioProblem(path, problem);
    }
  });
  return { name: scenario.name ?? fallbackName, origin, conditions, steps };
}
