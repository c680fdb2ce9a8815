/** Everything a running mock holds: loaded files, per-session state, the journal. */

import { CassetteLibrary } from "../cassettes/library.js";
import { makeRedactor, type Redactor } from "../cassettes/redact.js";
import { diskStore } from "../cassettes/store.js";
import { Budget } from "../limits/budget.js";
import { RateLimiter } from "../limits/rate-limit.js";
import type { ResolvedOptions } from "../options.js";
import type { CompiledScenario } from "../scenarios/compile.js";
import { loadScenarios } from "../scenarios/load.js";
import type { SequencePositions } from "../scenarios/select.js";
import { type Catalogue, loadCatalogue } from "../usage/catalogue.js";
import { PromptCache } from "../usage/prompt-cache.js";
import { Journal } from "./journal.js";
import { Metrics } from "./metrics.js";

export interface Session {
  positions: SequencePositions;
  promptCache: PromptCache;
  /** How many times this session sent each request fingerprint, so a retry draws faults anew. */
  attempts: Map<string, number>;
  rateLimiter: RateLimiter | undefined;
  budget: Budget | undefined;
  /** How often each recording was replayed: the n-th request of a fingerprint gets the n-th recording. */
  cassettePositions: Map<string, number>;
}

// Sessions are kept for the most recent ids only, so a load test with a fresh id per request
// cannot grow memory without bound.
const SESSION_LIMIT = 10_000;

export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(private readonly options: ResolvedOptions) {}

  get(id: string): Session {
    let session = this.byId.get(id);
    if (session) return session;
    const { rateLimit, budget } = this.options;
    session = {
      positions: new Map(),
      promptCache: new PromptCache(),
      attempts: new Map(),
      rateLimiter: rateLimit ? new RateLimiter(rateLimit) : undefined,
      budget: budget === undefined ? undefined : new Budget(budget),
      cassettePositions: new Map(),
    };
    if (this.byId.size >= SESSION_LIMIT) this.byId.delete(this.byId.keys().next().value as string);
    this.byId.set(id, session);
    return session;
  }

  clear(): void {
    this.byId.clear();
  }
}

export interface MockState {
  options: ResolvedOptions;
  fileScenarios: CompiledScenario[];
  /** Added at run time with POST /_mock/scenarios; matched before the files' scenarios. */
  addedScenarios: CompiledScenario[];
  scenarios(): readonly CompiledScenario[];
  catalogue: Catalogue;
  cassettes: CassetteLibrary;
  redactor: Redactor;
  sessions: Sessions;
  journal: Journal;
  metrics: Metrics;
  warnings: string[];
  /** Upstream answers still being read for a cassette; closing waits for them. */
  recordings: Set<Promise<void>>;
  /** Restarts sequences and clears the journal (POST /_mock/reset). */
  reset(): void;
}

export function createState(options: ResolvedOptions): MockState {
  const loaded = loadScenarios(options.scenarios);
  const redactor = makeRedactor({ redact: options.redact, secrets: options.upstreamKey ? [options.upstreamKey] : [] });
  const state: MockState = {
    options,
    fileScenarios: loaded.scenarios,
    addedScenarios: [],
    scenarios: () => (state.addedScenarios.length === 0 ? state.fileScenarios : [...state.addedScenarios, ...state.fileScenarios]),
    catalogue: loadCatalogue(options.models),
    cassettes: new CassetteLibrary(diskStore(options.cassettes), redactor, { ignore: options.matchIgnore, headers: options.matchHeaders }),
    redactor,
    sessions: new Sessions(options),
    journal: new Journal(options.journalSize),
    metrics: new Metrics(),
    warnings: loaded.warnings,
    recordings: new Set(),
    reset() {
      state.sessions.clear();
      state.journal.clear();
    },
  };
  return state;
}
