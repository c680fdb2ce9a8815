/** Picks the scenario that answers a request, its step in a sequence, or the closest misses. */
import type { CompiledScenario, Step } from "./compile.js";
import type { RequestView } from "./request-view.js";

export interface Selection {
  scenario: CompiledScenario;
  step: Step;
  captures: Record<string, string>;
}

export interface NearMiss {
  name: string;
  origin: string;
  /** The conditions that did not hold, with what the request had. */
  failed: string[];
}

/** Per-session count of requests each sequence scenario has answered. */
export type SequencePositions = Map<string, number>;

function matches(scenario: CompiledScenario, view: RequestView): Record<string, string> | null {
  let captures: Record<string, string> = {};
  for (const condition of scenario.conditions) {
    const c = condition.check(view);
    if (!c) return null;
    if (Object.keys(c).length > 0) captures = { ...captures, ...c };
  }
  return captures;
}

function stepOf(scenario: CompiledScenario, positions: SequencePositions): Step {
  if (scenario.steps.length === 1) return scenario.steps[0] as Step;
  const n = positions.get(scenario.name) ?? 0;
  positions.set(scenario.name, n + 1);
  return scenario.steps[Math.min(n, scenario.steps.length - 1)] as Step;
}

export function selectScenario(params: {
  scenarios: readonly CompiledScenario[];
  view: RequestView;
  positions: SequencePositions;
  forced?: string | undefined;
}): Selection | null {
  const { scenarios, view, positions, forced } = params;
  if (forced !== undefined) {
    const scenario = scenarios.find((s) => s.name === forced);
    if (!scenario) return null;
    return { scenario, step: stepOf(scenario, positions), captures: matches(scenario, view) ?? {} };
  }
  for (const scenario of scenarios) {
    const captures = matches(scenario, view);
    if (captures) return { scenario, step: stepOf(scenario, positions), captures };
  }
  return null;
}

/** The scenarios that came closest to matching: fewest failed conditions first. */
export function nearestScenarios(scenarios: readonly CompiledScenario[], view: RequestView, limit = 3): NearMiss[] {
  return scenarios
    .map((s) => ({
      name: s.name,
      origin: s.origin,
      failed: s.conditions.filter((c) => !c.check(view)).map((c) => `${c.label} did not match ${c.actual(view)}`),
      total: s.conditions.length,
    }))
    .sort((a, b) => a.failed.length - b.failed.length || b.total - a.total)
    .slice(0, limit)
    .map(({ name, origin, failed }) => ({ name, origin, failed }));
}
