/** What each mode does on a cassette hit and on a miss (Polly's MODES, VCR's record modes). */
export const modeNames = ["replay", "record", "auto", "spy", "passthrough"] as const;
export type Mode = (typeof modeNames)[number];

/** `replay` a recording, go `upstream` (recording or not), or answer from `scenarios`. */
export type Action = { source: "replay" } | { source: "upstream"; record: boolean } | { source: "scenarios" };

export const MODES: Record<Mode, { hit: Action; miss: Action }> = {
  replay: { hit: { source: "replay" }, miss: { source: "scenarios" } },
  record: { hit: { source: "upstream", record: true }, miss: { source: "upstream", record: true } },
  auto: { hit: { source: "replay" }, miss: { source: "upstream", record: true } },
  spy: { hit: { source: "replay" }, miss: { source: "upstream", record: false } },
  passthrough: { hit: { source: "upstream", record: false }, miss: { source: "upstream", record: false } },
};
