import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseChunkSpec } from "../../src/stream/chunk-spec.js";
import { chunkText } from "../../src/stream/chunking.js";
import { tokenPieces } from "../../src/usage/tokens.js";
import { makeRng } from "../../src/util/random.js";

const SPECS = ["token:1", "token:3", "token:1-4", "word:1", "word:3", "char:1", "char:5", "line", "whole"];

function chunk(text: string, spec: string, seed = "s") {
  const parsed = parseChunkSpec(spec);
  if (typeof parsed === "string") throw new Error(parsed);
  return chunkText({ pieces: tokenPieces(text), text, spec: parsed, rng: makeRng(seed, "f") });
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const graphemeEnds = (text: string) => new Set([...segmenter.segment(text)].map((s) => s.index + s.segment.length));

describe("chunking", () => {
  it("joins back to the exact text for arbitrary Unicode, whatever the spec, and never splits a grapheme", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 80 }), fc.constantFrom(...SPECS), (text, spec) => {
        const chunks = chunk(text, spec);
        expect(chunks.map((c) => c.text).join("")).toBe(text);
        const ends = graphemeEnds(text);
        let offset = 0;
        for (const c of chunks) {
          expect(c.text).not.toBe("");
          offset += c.text.length;
          expect(ends.has(offset)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("keeps emoji with modifiers and joiners whole", () => {
    const text = "family 👨‍👩‍👧‍👦, thumbs 👍🏽, flag 🇫🇷, accent é";
    for (const c of chunk(text, "token:1")) {
      expect(c.text).not.toMatch(/^[\u200d\u{1F3FB}-\u{1F3FF}\u0301]/u);
      expect(c.text).not.toMatch(/\u200d$/);
    }
    for (const emoji of ["👨‍👩‍👧‍👦", "👍🏽", "🇫🇷", "é"]) {
      expect(chunk(text, "token:1").some((c) => c.text.includes(emoji))).toBe(true);
    }
  });

  it("keeps combining marks outside the usual ranges, and CRLF, whole (found by the property test)", () => {
    for (const text of ["か\u3099", "line\r\nnext", "ｶ\uff9e"]) {
      const ends = graphemeEnds(text);
      let offset = 0;
      for (const c of chunk(text, "token:1")) {
        offset += c.text.length;
        expect(ends.has(offset)).toBe(true);
      }
    }
  });

  it("counts every BPE token exactly once across the chunks", () => {
    const text = "The quick brown fox jumps over the lazy dog.\nSecond line — with ünïcödé and 日本語.";
    const total = tokenPieces(text).totalTokens;
    for (const spec of SPECS) {
      expect(chunk(text, spec).reduce((n, c) => n + c.tokens, 0)).toBe(total);
    }
  });

  it("token:N puts N tokens in each chunk but the last", () => {
    const chunks = chunk("one two three four five six seven eight nine ten eleven", "token:3");
    for (const c of chunks.slice(0, -1)) expect(c.tokens).toBe(3);
  });

  it("token:MIN-MAX draws sizes in the range from the seed, the same for the same seed", () => {
    const text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.";
    const a = chunk(text, "token:1-4", "seed-a");
    expect(chunk(text, "token:1-4", "seed-a")).toEqual(a);
    for (const c of a.slice(0, -1)) expect(c.tokens).toBeGreaterThanOrEqual(1);
    for (const c of a.slice(0, -1)) expect(c.tokens).toBeLessThanOrEqual(4);
    const sizes = new Set(a.map((c) => c.tokens));
    expect(sizes.size).toBeGreaterThan(1);
    expect(chunk(text, "token:1-4", "seed-b").map((c) => c.text)).not.toEqual(a.map((c) => c.text));
  });

  it("word, line and whole cut where their names say", () => {
    expect(chunk("alpha beta gamma delta", "word:2").map((c) => c.text)).toEqual(["alpha beta", " gamma delta"]);
    expect(chunk("a\nb\nc", "line").map((c) => c.text)).toEqual(["a\n", "b\n", "c"]);
    expect(chunk("all of it", "whole").map((c) => c.text)).toEqual(["all of it"]);
    expect(chunk("héllo", "char:2").map((c) => c.text)).toEqual(["hé", "ll", "o"]);
  });
});

describe("parseChunkSpec", () => {
  it("accepts the grammar and explains what is wrong otherwise", () => {
    expect(parseChunkSpec("token:2-5")).toEqual({ kind: "token", min: 2, max: 5 });
    expect(parseChunkSpec("word:3")).toEqual({ kind: "word", size: 3 });
    expect(parseChunkSpec("line")).toEqual({ kind: "line" });
    expect(parseChunkSpec("bytes:3")).toMatch(/not a chunk spec/);
    expect(parseChunkSpec("token:5-2")).toMatch(/MIN not above MAX/);
    expect(parseChunkSpec("token:0")).toMatch(/at least 1/);
    expect(parseChunkSpec("word:1-3")).toMatch(/only allowed for token/);
  });
});

describe("tokenPieces", () => {
  it("treats special-token text such as <|endoftext|> as plain text", () => {
    const text = "before <|endoftext|> after <|im_start|>";
    expect(tokenPieces(text).texts.join("")).toBe(text);
    expect(tokenPieces(text).totalTokens).toBeGreaterThan(5);
  });
});
