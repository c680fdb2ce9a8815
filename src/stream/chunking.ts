/** Cuts a text (already split into token pieces) into stream chunks; joined, the chunks give the text back. */
import type { TokenPieces } from "../usage/tokens.js";
import type { Rng } from "../util/random.js";
import type { ChunkSpec } from "./chunk-spec.js";

export interface TextChunk {
  text: string;
  /** BPE tokens in this chunk, for pacing. */
  tokens: number;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** End offsets (UTF-16) of chunks for the non-token specs. */
function boundaries(text: string, spec: Exclude<ChunkSpec, { kind: "token" }>): number[] {
  const ends: number[] = [];
  if (spec.kind === "whole") return [text.length];
  if (spec.kind === "line") {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) ends.push(i + 1);
  } else if (spec.kind === "word") {
    let count = 0;
    for (const m of text.matchAll(/\s*\S+/g)) {
      if (++count % spec.size === 0) ends.push(m.index + m[0].length);
    }
  } else {
    let count = 0;
    for (const { index, segment } of segmenter.segment(text)) {
      if (++count % spec.size === 0) ends.push(index + segment.length);
    }
  }
  if (ends[ends.length - 1] !== text.length) ends.push(text.length);
  return ends;
}

/** Groups pieces so each chunk holds a drawn number of tokens. */
function byTokens(pieces: TokenPieces, min: number, max: number, rng: Rng): TextChunk[] {
  const chunks: TextChunk[] = [];
  let text = "";
  let tokens = 0;
  let want = min === max ? min : rng.int(min, max);
  for (let i = 0; i < pieces.texts.length; i++) {
    text += pieces.texts[i];
    tokens += pieces.tokens[i] as number;
    if (tokens >= want) {
      chunks.push({ text, tokens });
      text = "";
      tokens = 0;
      want = min === max ? min : rng.int(min, max);
    }
  }
  if (text !== "") chunks.push({ text, tokens });
  return chunks;
}

/** Assigns each piece's tokens to the chunk its end falls in. */
function atBoundaries(pieces: TokenPieces, text: string, ends: number[]): TextChunk[] {
  const chunks: TextChunk[] = [];
  let piece = 0;
  let pieceEnd = 0;
  let start = 0;
  for (const end of ends) {
    let tokens = 0;
    while (piece < pieces.texts.length && pieceEnd + (pieces.texts[piece] as string).length <= end) {
      pieceEnd += (pieces.texts[piece] as string).length;
      tokens += pieces.tokens[piece] as number;
      piece++;
    }
    chunks.push({ text: text.slice(start, end), tokens });
    start = end;
  }
  return chunks.filter((c) => c.text !== "");
}

export function chunkText(params: { pieces: TokenPieces; text: string; spec: ChunkSpec; rng: Rng }): TextChunk[] {
  const { pieces, text, spec, rng } = params;
  if (text === "") return [];
  if (spec.kind === "token") return byTokens(pieces, spec.min, spec.max, rng);
  return atBoundaries(pieces, text, boundaries(text, spec));
}
