/** Latency presets and the fine options that override single values of them. */
export interface Latency {
  /** Time to first token, ms. */
  ttftMs: number;
  /** Tokens per second once streaming; Infinity sends everything at once. */
  tps: number;
  /** Jitter as a fraction: 0.2 makes each gap vary by up to ±20 %. */
  jitter: number;
  /** Interval of `: OPENROUTER PROCESSING` comments while the first token is awaited, ms. */
  keepAliveMs: number;
}

export const latencyPresets = {
  none: { ttftMs: 0, tps: Number.POSITIVE_INFINITY, jitter: 0, keepAliveMs: 1000 },
  fast: { ttftMs: 80, tps: 250, jitter: 0.1, keepAliveMs: 1000 },
  realistic: { ttftMs: 700, tps: 60, jitter: 0.3, keepAliveMs: 1000 },
  slow: { ttftMs: 2500, tps: 12, jitter: 0.4, keepAliveMs: 1000 },
} as const satisfies Record<string, Latency>;

export type LatencyPreset = keyof typeof latencyPresets;
export const latencyPresetNames = Object.keys(latencyPresets) as LatencyPreset[];

export function isLatencyPreset(name: string): name is LatencyPreset {
  return Object.hasOwn(latencyPresets, name);
}

export interface LatencyOverrides {
  ttftMs?: number | undefined;
  tps?: number | undefined;
  jitter?: number | undefined;
}

export function resolveLatency(preset: LatencyPreset, overrides: LatencyOverrides = {}): Latency {
  const base = latencyPresets[preset];
  return {
    ttftMs: overrides.ttftMs ?? base.ttftMs,
    tps: overrides.tps ?? base.tps,
    jitter: overrides.jitter ?? base.jitter,
    keepAliveMs: base.keepAliveMs,
  };
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * The latency of one answer. An `x-mock-latency` header wins outright (a test asked for it); else a
 * scenario's `stream:` settings override the server's, value by value.
 */
export function latencyFor(params: {
  header: LatencyPreset | undefined;
  scenario: (LatencyOverrides & { latency?: string | undefined }) | undefined;
  server: { preset: LatencyPreset; overrides: LatencyOverrides };
}): Latency {
  const { header, scenario, server } = params;
  if (header) return resolveLatency(header);
  const preset = scenario?.latency !== undefined && isLatencyPreset(scenario.latency) ? scenario.latency : server.preset;
  const own = scenario ? defined({ ttftMs: scenario.ttftMs, tps: scenario.tps, jitter: scenario.jitter }) : {};
  return resolveLatency(preset, { ...defined(server.overrides), ...own });
}
