/**
 * The options `serve` and `record` share, as one table: each entry is the yargs definition and the
 * `Options` field it fills, so the command line maps onto exactly what `startMockServer()` takes.
 */
import type { Options as YargsOption } from "yargs";
import { modeNames } from "../cassettes/modes.js";
import { FAULT_GRAMMAR } from "../faults/fault-spec.js";
import type { Options } from "../options.js";
import { CHUNK_GRAMMAR } from "../stream/chunk-spec.js";
import { latencyPresetNames } from "../stream/latency.js";

interface Flag {
  key: keyof Options;
  spec: YargsOption;
}

export const SERVER_FLAGS: Record<string, Flag> = {
  port: { key: "port", spec: { type: "number", default: 4010, describe: "port to listen on; 0 picks a free one" } },
  host: { key: "host", spec: { type: "string", default: "127.0.0.1", describe: "address to listen on" } },
  scenarios: {
    key: "scenarios",
    spec: { type: "string", array: true, describe: "scenario file or folder (repeatable); default ./scenarios, else the bundled defaults" },
  },
  models: { key: "models", spec: { type: "string", describe: "model catalogue YAML (ids and prices); default the bundled models.yaml" } },
  seed: {
    key: "seed",
    spec: { type: "string", default: "0", describe: "all randomness (ids, chunk sizes, jitter, fault draws) derives from it" },
  },
  latency: { key: "latency", spec: { type: "string", choices: latencyPresetNames, default: "realistic", describe: "timing preset" } },
  ttft: { key: "ttftMs", spec: { type: "number", describe: "time to first token in ms (overrides the preset)" } },
  tps: { key: "tps", spec: { type: "number", describe: "tokens per second (overrides the preset)" } },
  jitter: { key: "jitter", spec: { type: "number", describe: "timing jitter as a fraction, 0.2 = ±20% (overrides the preset)" } },
  chunk: { key: "chunk", spec: { type: "string", default: "token:1-4", describe: `how text is cut into chunks: ${CHUNK_GRAMMAR}` } },
  "api-key": { key: "apiKey", spec: { type: "string", describe: "require this exact bearer key (default: any non-empty key)" } },
  "stream-default": {
    key: "streamDefault",
    spec: { type: "boolean", default: true, describe: "what an omitted `stream` means (the API says true)" },
  },
  "on-miss": {
    key: "onMiss",
    spec: {
      type: "string",
      choices: ["error", "fallback", "proxy"],
      default: "error",
      describe:
        "a request no scenario matches: 404 naming the closest scenarios, a built-in answer, or the upstream's (proxied, not recorded)",
    },
  },
  log: {
    key: "log",
    spec: {
      type: "string",
      choices: ["pretty", "json", "none"],
      describe: "one line per request (default pretty on a terminal, else json)",
    },
  },
  "prompt-cache": {
    key: "promptCache",
    spec: {
      type: "boolean",
      default: false,
      describe: "simulate prompt caching: a message prefix already sent for a model is reported as cached_tokens",
    },
  },
  fault: { key: "fault", spec: { type: "string", describe: `inject a fault into every answer: ${FAULT_GRAMMAR}; join several with +` } },
  "fault-rate": {
    key: "faultRate",
    spec: { type: "number", describe: "with this probability per request (seeded), inject a fault drawn from --faults" },
  },
  faults: {
    key: "faults",
    spec: { type: "string", describe: "comma-separated faults for --fault-rate, e.g. http:429,http:503,error@3,disconnect@5" },
  },
  "rate-limit": {
    key: "rateLimit",
    spec: { type: "string", describe: "a rate limit per session, e.g. rpm=60,tpm=100000: over it, 429 with retry-after" },
  },
  budget: {
    key: "budget",
    spec: { type: "number", describe: "a spend budget per session in USD: once the answers' cost reaches it, 402" },
  },
  mode: {
    key: "mode",
    spec: { type: "string", choices: [...modeNames], describe: "replay | record | auto | spy | passthrough (see README)" },
  },
  upstream: {
    key: "upstream",
    spec: { type: "string", default: "https://api.cline.bot/api/v1", describe: "the real API, for record, auto, spy and passthrough" },
  },
  cassettes: { key: "cassettes", spec: { type: "string", default: "cassettes", describe: "where cassettes are read and written" } },
  "replay-timing": {
    key: "replayTiming",
    spec: {
      type: "string",
      default: "recorded",
      describe: "replayed streams keep their recorded gaps, scaled:F, or synthetic (the latency options)",
    },
  },
  redact: {
    key: "redact",
    spec: { type: "string", describe: "extra header names and JSON body paths to scrub before a cassette is written (comma-separated)" },
  },
  "match-ignore": {
    key: "matchIgnore",
    spec: { type: "string", describe: "body fields left out when matching recordings (comma-separated), e.g. user,metadata" },
  },
  "match-headers": {
    key: "matchHeaders",
    spec: { type: "string", describe: "request headers whose values are part of matching recordings (comma-separated), e.g. x-title" },
  },
  "upstream-timeout": {
    key: "upstreamTimeoutMs",
    spec: { type: "number", default: 120_000, describe: "ms the upstream may take to start answering (504 after)" },
  },
  "admin-token": {
    key: "adminToken",
    spec: { type: "string", describe: "require this token on the /_mock control routes (otherwise they answer loopback clients only)" },
  },
  watch: {
    key: "watch",
    spec: { type: "boolean", default: false, describe: "reload scenario files (and, in replay mode, cassettes) when they change" },
  },
  "max-body": {
    key: "maxBodyBytes",
    spec: { type: "number", default: 20 * 1024 * 1024, describe: "largest request body in bytes (413 above)" },
  },
};

export function yargsOptions(overrides: Record<string, Partial<YargsOption>> = {}): Record<string, YargsOption> {
  return Object.fromEntries(Object.entries(SERVER_FLAGS).map(([flag, { spec }]) => [flag, { ...spec, ...overrides[flag] }]));
}

/** Copies every given flag onto its `Options` field. */
export function toOptions(args: Record<string, unknown>): Options {
  const options: Record<string, unknown> = {};
  for (const [flag, { key }] of Object.entries(SERVER_FLAGS)) {
    if (args[flag] !== undefined) options[key] = args[flag];
  }
  return options as Options;
}
