/**
 * Which fault one request gets. The most specific source wins: the x-mock-fault header (a test
 * asked for it; `none` turns faults off), then the scenario's `fault:`, then --fault, then a draw
 * from --faults at --fault-rate.
 */
import type { Rng } from "../util/random.js";
import type { FaultSpec } from "./fault-spec.js";

export interface FaultRate {
  probability: number;
  choices: readonly FaultSpec[];
}

export function chooseFault(params: {
  header: FaultSpec | undefined;
  scenario: FaultSpec | undefined;
  server: FaultSpec | undefined;
  rate: FaultRate | undefined;
  /** Seeded by (seed, request, how many times the session sent it), so retries can draw differently. */
  rng: () => Rng;
}): FaultSpec | undefined {
  const chosen = params.header ?? params.scenario ?? params.server;
  if (chosen) return chosen.faults.length === 0 ? undefined : chosen;
  const rate = params.rate;
  if (!rate || rate.probability <= 0 || rate.choices.length === 0) return undefined;
  const rng = params.rng();
  if (rng.next() >= rate.probability) return undefined;
  return rate.choices[rng.int(0, rate.choices.length - 1)];
}
