/**
 * Real BPE tokens (o200k) cut into whole-character pieces: a piece is one token, or several when a
 * token ends inside a UTF-8 character or a grapheme (an emoji with modifiers, a letter with its
 * accent). Counting, chunking and `max_tokens` cuts all work on these pieces, so none of them
 * splits a character, and a text is tokenised once however often it is streamed.
 */
import { decodeGenerator, encode } from "gpt-tokenizer/encoding/o200k_base";

export interface TokenPieces {
  /** Pieces of text; joined they give the text back exactly. */
  readonly texts: readonly string[];
  /** How many BPE tokens each piece holds (1 unless a token split a character). */
  readonly tokens: readonly number[];
  readonly totalTokens: number;
}

// Text such as "<|endoftext|>" in a message is plain text to us, never a special token (the
// tokenizer would otherwise throw on it).
const PLAIN = { disallowedSpecial: new Set<string>() };

const EMPTY: TokenPieces = { texts: [], tokens: [], totalTokens: 0 };
const CACHE_LIMIT = 1000;
const cache = new Map<string, TokenPieces>();

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
// Characters that can join a neighbour into one grapheme (UAX #29): extending and spacing marks
// (variation selectors and joiners among them), emoji, modifiers and flags (all astral), Hangul jamo,
// prepended concatenation marks, CR. Text without any of them has a grapheme boundary between
// every two code points, and needs no (slow) segmenter.
const MAY_COMBINE =
  /\p{Grapheme_Extend}|\p{Mc}|\u200d|[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]|[\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u0e33\u0eb3\r]|[\u{10000}-\u{10ffff}]/u;

// BPE merges within a pre-tokenised word take time quadratic in its length, so a long run without
// spaces (a base64 blob, "xxxx…", CJK prose) is encoded in slices. Words of ordinary text are far
// shorter and are encoded exactly as a whole.
const HAS_LONG_RUN = /\S{256}/;
const LONG_RUN = /\S{256,}/g;
const SLICE = 128;

function bpeSegments(text: string): string[] {
  if (!HAS_LONG_RUN.test(text)) return [text];
  const out: string[] = [];
  let last = 0;
  for (const m of text.matchAll(LONG_RUN)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const run = m[0];
    for (let i = 0; i < run.length; ) {
      let end = Math.min(i + SLICE, run.length);
      // Never between the halves of a surrogate pair.
      if (end < run.length && /[\ud800-\udbff]/.test(run[end - 1] as string)) end--;
      out.push(run.slice(i, end));
      i = end;
    }
    last = m.index + run.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function byToken(text: string): { texts: string[]; tokens: number[] } {
  const ids = bpeSegments(text).flatMap((segment) => encode(segment, PLAIN));
  let pulled = 0;
  const counted = {
    *[Symbol.iterator]() {
      for (const id of ids) {
        pulled++;
        yield id;
      }
    },
  };
  const texts: string[] = [];
  const tokens: number[] = [];
  let before = 0;
  // decodeGenerator holds back bytes of an unfinished character, so each yield is whole characters.
  for (const piece of decodeGenerator(counted)) {
    texts.push(piece);
    tokens.push(pulled - before);
    before = pulled;
  }
  return { texts, tokens };
}

/** Merges pieces so that every boundary falls on a grapheme boundary. */
function alignToGraphemes(text: string, texts: string[], tokens: number[]): { texts: string[]; tokens: number[] } {
  const boundaries = new Set<number>();
  for (const { index } of segmenter.segment(text)) boundaries.add(index);
  const outTexts: string[] = [];
  const outTokens: number[] = [];
  let pendingText = "";
  let pendingTokens = 0;
  let offset = 0;
  for (let i = 0; i < texts.length; i++) {
    const piece = texts[i] as string;
    pendingText += piece;
    pendingTokens += tokens[i] as number;
    offset += piece.length;
    if (offset === text.length || boundaries.has(offset)) {
      outTexts.push(pendingText);
      outTokens.push(pendingTokens);
      pendingText = "";
      pendingTokens = 0;
    }
  }
  return { texts: outTexts, tokens: outTokens };
}

export function tokenPieces(text: string): TokenPieces {
  if (text === "") return EMPTY;
  const hit = cache.get(text);
  if (hit) return hit;
  let split = byToken(text);
  if (MAY_COMBINE.test(text)) split = alignToGraphemes(text, split.texts, split.tokens);
  let totalTokens = 0;
  for (const n of split.tokens) totalTokens += n;
  const pieces: TokenPieces = { texts: split.texts, tokens: split.tokens, totalTokens };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(text, pieces);
  return pieces;
}

// Prompts repeat across requests (system prompts, history), so their counts are kept too; only
// counts, and only of texts short enough that keeping them as keys costs little.
const COUNT_CACHE_LIMIT = 5000;
const COUNT_CACHE_MAX_TEXT = 64 * 1024;
const counts = new Map<string, number>();

export function countTokens(text: string): number {
  if (text === "") return 0;
  const pieces = cache.get(text);
  if (pieces) return pieces.totalTokens;
  const known = counts.get(text);
  if (known !== undefined) return known;
  // encode, not the library's countTokens: the latter slows down with every call on long inputs.
  let n = 0;
  for (const segment of bpeSegments(text)) n += encode(segment, PLAIN).length;
  if (text.length <= COUNT_CACHE_MAX_TEXT) {
    if (counts.size >= COUNT_CACHE_LIMIT) counts.delete(counts.keys().next().value as string);
    counts.set(text, n);
  }
  return n;
}
