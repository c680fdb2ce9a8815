/** The chunking grammar of `--chunk` and a scenario's `stream.chunk`. */
export type ChunkSpec =
  | { kind: "token"; min: number; max: number }
  | { kind: "word"; size: number }
  | { kind: "char"; size: number }
  | { kind: "line" }
  | { kind: "whole" };

export const CHUNK_GRAMMAR = "token:N, token:MIN-MAX, word:N, char:N, line or whole";

/** Parses a chunk spec, or returns a sentence saying what is wrong. */
export function parseChunkSpec(text: string): ChunkSpec | string {
  const spec = text.trim();
  if (spec === "line" || spec === "whole") return { kind: spec };
  const m = /^(token|word|char):(\d+)(?:-(\d+))?$/.exec(spec);
  if (!m) return `"${text}" is not a chunk spec; use ${CHUNK_GRAMMAR}`;
  const min = Number(m[2]);
  const max = m[3] === undefined ? min : Number(m[3]);
  if (min < 1 || max < min) return `"${text}" needs sizes of at least 1, with MIN not above MAX`;
  if (m[1] === "token") return { kind: "token", min, max };
  if (m[3] !== undefined) return `"${text}": a range is only allowed for token chunks`;
  return { kind: m[1] as "word" | "char", size: min };
}
