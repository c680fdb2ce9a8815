/** What a user may pass (every field optional), resolved once into what the server runs with. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Mode, modeNames } from "./cassettes/modes.js";
import type { FaultRate } from "./faults/choose.js";
import { type FaultSpec, parseFaultList, parseFaultSpec } from "./faults/fault-spec.js";
import { parseRateLimit, type RateLimitSpec } from "./limits/rate-limit.js";
import type { ScenarioInput } from "./scenarios/schema.js";
import { type ChunkSpec, parseChunkSpec } from "./stream/chunk-spec.js";
import { isLatencyPreset, type LatencyOverrides, type LatencyPreset, latencyPresetNames } from "./stream/latency.js";
import { bundledCataloguePath } from "./usage/catalogue.js";

export type LogFormat = "pretty" | "json" | "none";
export type OnMiss = "error" | "fallback" | "proxy";

export interface Options {
  port?: number;
  host?: string;
  /** Scenario files or folders, or scenario objects; default: the bundled `scenarios/`. */
  scenarios?: string | ReadonlyArray<string | ScenarioInput>;
  /** The model catalogue file; default: the bundled `models.yaml`. */
  models?: string;
  seed?: number | string;
  /** Default `none` in code, `realistic` on the command line. */
  latency?: LatencyPreset;
  ttftMs?: number;
  tps?: number;
  jitter?: number;
  /** How text is cut into chunks, default `token:1-4`. */
  chunk?: string;
  /** Require this exact bearer key; without it any non-empty key passes. */
  apiKey?: string;
  /** What an omitted `stream` means; the contract says true. */
  streamDefault?: boolean;
  onMiss?: OnMiss;
  log?: LogFormat;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  /** How many requests the journal keeps. */
  journalSize?: number;
  /** Simulate provider prompt caching: a message prefix seen before for a model is reported as cached. */
  promptCache?: boolean;
  /** Inject this fault into every answer (SPEC.md section 5), e.g. `error@3` or `http:429`. */
  fault?: string;
  /** With this probability per request (seeded), inject one fault drawn from `faults`. */
  faultRate?: number;
  /** The faults `faultRate` draws from: a comma-separated list, or an array of specs. */
  faults?: string | readonly string[];
  /** A rate limit per session, e.g. `rpm=60,tpm=100000`. */
  rateLimit?: string;
  /** A spend budget per session in USD; once the answers' cost reaches it, requests get a 402. */
  budget?: number;
  /** `replay` (default), `record`, `auto`, `spy` or `passthrough` (SPEC.md section 1). */
  mode?: Mode;
  /** The real API's base URL, for the modes that go upstream. */
  upstream?: string;
  /** Where cassettes are read and written; default `cassettes/`. */
  cassettes?: string;
  /** `recorded` (default), `scaled:F`, or `synthetic` (the latency options). */
  replayTiming?: string;
  /** Extra header names and JSON body paths to scrub before a cassette is written. */
  redact?: string | readonly string[];
  /** Body fields left out of the fingerprint when matching recordings. */
  matchIgnore?: string | readonly string[];
  /** Request headers whose values are part of matching recordings (names, lower case). */
  matchHeaders?: string | readonly string[];
  /** How long the upstream may take to start answering, ms; default 120000. */
  upstreamTimeoutMs?: number;
  /** The key sent upstream when a client sends none; default the CLINE_API_KEY variable. */
  upstreamKey?: string;
  /** Required (as `Authorization: Bearer` or `x-mock-admin-token`) by the /_mock routes; without it they answer loopback clients only. */
  adminToken?: string;
  /** Reload scenario files (and, in replay mode, cassettes) when they change. */
  watch?: boolean;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  scenarios: ReadonlyArray<string | ScenarioInput>;
  models: string;
  seed: string;
  latency: LatencyPreset;
  latencyOverrides: LatencyOverrides;
  chunk: ChunkSpec;
  apiKey: string | undefined;
  streamDefault: boolean;
  onMiss: OnMiss;
  log: LogFormat;
  maxBodyBytes: number;
  journalSize: number;
  promptCache: boolean;
  fault: FaultSpec | undefined;
  faultRate: FaultRate | undefined;
  rateLimit: RateLimitSpec | undefined;
  budget: number | undefined;
  mode: Mode;
  upstream: string;
  cassettes: string;
  replayTiming: ReplayTiming;
  redact: string[];
  matchIgnore: string[];
  matchHeaders: string[];
  upstreamTimeoutMs: number;
  upstreamKey: string | undefined;
  adminToken: string | undefined;
  watch: boolean;
}

export type ReplayTiming = { kind: "recorded"; factor: number } | { kind: "synthetic" };

export const bundledScenariosPath = fileURLToPath(new URL("../scenarios", import.meta.url));

/** A bad option: the CLI prints it with the option's name and exits 1. */
export class OptionError extends Error {
  constructor(
    readonly option: string,
    problem: string,
  ) {
    super(`--${option} ${problem}`);
    this.name = "OptionError";
  }
}

function nonNegative(option: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) throw new OptionError(option, `must be a number of at least 0, got ${value}`);
  return value;
}

function resolveFault(text: string | undefined): FaultSpec | undefined {
  if (text === undefined) return undefined;
  const spec = parseFaultSpec(text);
  if (typeof spec === "string") throw new OptionError("fault", spec);
  return spec.faults.length === 0 ? undefined : spec;
}

function resolveFaultRate(probability: number | undefined, faults: string | readonly string[] | undefined): FaultRate | undefined {
  if (probability === undefined || probability === 0) return undefined;
  if (!(probability > 0 && probability <= 1)) throw new OptionError("fault-rate", `must be a probability from 0 to 1, got ${probability}`);
  if (faults === undefined)
    throw new OptionError("fault-rate", "needs --faults, the list of faults to draw from (e.g. --faults http:429,error@3)");
  const choices = parseFaultList(typeof faults === "string" ? faults : faults.join(","));
  if (typeof choices === "string") throw new OptionError("faults", choices);
  return { probability, choices };
}

function resolveRateLimit(text: string | undefined): RateLimitSpec | undefined {
  if (text === undefined) return undefined;
  const spec = parseRateLimit(text);
  if (typeof spec === "string") throw new OptionError("rate-limit", spec);
  return spec;
}

const list = (value: string | readonly string[] | undefined): string[] =>
  (typeof value === "string" ? value.split(",") : [...(value ?? [])]).map((v) => v.trim()).filter((v) => v !== "");

function resolveUpstream(url: string | undefined): string {
  const text = (url ?? "https://api.cline.bot/api/v1").replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s/]+/.test(text))
    throw new OptionError("upstream", `must be an http(s) URL such as https://api.cline.bot/api/v1, got "${url}"`);
  return text;
}

function resolveReplayTiming(text: string | undefined): ReplayTiming {
  if (text === undefined || text === "recorded") return { kind: "recorded", factor: 1 };
  if (text === "synthetic") return { kind: "synthetic" };
  const m = /^scaled:(\d+(?:\.\d+)?)$/.exec(text);
  if (m && Number(m[1]) >= 0) return { kind: "recorded", factor: Number(m[1]) };
  throw new OptionError("replay-timing", `must be recorded, scaled:F (e.g. scaled:0.5) or synthetic, got "${text}"`);
}

export function resolveOptions(options: Options = {}): ResolvedOptions {
  const mode = options.mode ?? "replay";
  if (!modeNames.includes(mode)) throw new OptionError("mode", `must be one of ${modeNames.join(", ")}, got "${mode}"`);
  const latency = options.latency ?? "none";
  if (!isLatencyPreset(latency)) throw new OptionError("latency", `must be one of ${latencyPresetNames.join(", ")}, got "${latency}"`);
  const chunk = parseChunkSpec(options.chunk ?? "token:1-4");
  if (typeof chunk === "string") throw new OptionError("chunk", chunk);
  const port = options.port ?? 4010;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new OptionError("port", `must be a port number from 0 to 65535, got ${port}`);
  const tps = nonNegative("tps", options.tps);
  if (tps === 0) throw new OptionError("tps", "must be above 0");
  const jitter = nonNegative("jitter", options.jitter);
  if (jitter !== undefined && jitter > 1) throw new OptionError("jitter", `must be a fraction from 0 to 1, got ${jitter}`);
  const scenarios =
    options.scenarios === undefined
      ? [bundledScenariosPath]
      : typeof options.scenarios === "string"
        ? [options.scenarios]
        : options.scenarios;
  const models = options.models ?? bundledCataloguePath;
  if (!existsSync(models)) throw new OptionError("models", `names a file that does not exist: ${models}`);
  return {
    port,
    host: options.host ?? "127.0.0.1",
    scenarios: scenarios.map((s) => (typeof s === "string" ? resolve(s) : s)),
    models,
    seed: String(options.seed ?? 0),
    latency,
    latencyOverrides: { ttftMs: nonNegative("ttft", options.ttftMs), tps, jitter },
    chunk,
    apiKey: options.apiKey === "" ? undefined : options.apiKey,
    streamDefault: options.streamDefault ?? true,
    onMiss: options.onMiss ?? "error",
    log: options.log ?? "none",
    maxBodyBytes: options.maxBodyBytes ?? 20 * 1024 * 1024,
    journalSize: options.journalSize ?? 1000,
    promptCache: options.promptCache ?? false,
    fault: resolveFault(options.fault),
    faultRate: resolveFaultRate(options.faultRate, options.faults),
    rateLimit: resolveRateLimit(options.rateLimit),
    budget: nonNegative("budget", options.budget),
    mode,
    upstream: resolveUpstream(options.upstream),
    cassettes: resolve(options.cassettes ?? "cassettes"),
    replayTiming: resolveReplayTiming(options.replayTiming),
    redact: list(options.redact),
    matchIgnore: list(options.matchIgnore),
    matchHeaders: list(options.matchHeaders).map((h) => h.toLowerCase()),
    upstreamTimeoutMs: nonNegative("upstream-timeout", options.upstreamTimeoutMs) ?? 120_000,
    upstreamKey: options.upstreamKey ?? (process.env.CLINE_API_KEY || undefined),
    adminToken: options.adminToken === "" ? undefined : options.adminToken,
    watch: options.watch ?? false,
  };
}
