import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RecordedEvent } from "../../src/cassettes/schema.js";
import { renderEvent, SseParser } from "../../src/cassettes/sse-parser.js";

const chunk = (delta: unknown, extra = "") =>
  `data: {"id":"gen-1","object":"chat.completion.chunk","created":1767225600,"model":"m","choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":null}]${extra}}\n\n`;

// A realistic upstream stream: keep-alives, role, reasoning, multi-byte content, a tool call, usage, [DONE].
const SAMPLE = [
  ": OPENROUTER PROCESSING\n\n",
  ": OPENROUTER PROCESSING\n\n",
  chunk({ role: "assistant", content: "" }),
  chunk({
    content: "",
    reasoning: "Thinking… ünïcödé",
    reasoning_details: [{ type: "reasoning.text", text: "Thinking… ünïcödé", index: 0 }],
  }),
  chunk({ content: "Paris — 日本語 👨‍👩‍👧‍👦 👍🏽 🇫🇷" }),
  chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Zürich"}' } }] }),
  chunk({}, ',"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}'),
  "data: [DONE]\n\n",
].join("");

// Framings that must be kept raw, with `\r` endings a split can cut between `\r` and `\n`.
const ODD = [
  'data: {"a":1}\r\n\r\n',
  'event: error\ndata: {"error":{}}\n\n',
  "data: one\ndata: two\n\n",
  "data: cr\r\r",
  '{"bare":true}\n\n',
  ": ok\n\n",
  "data: mixed\n\r\n",
  "data: [DONE]\n\n",
].join("");

const encoder = new TextEncoder();

/** Feeds `bytes` in pieces cut at `cuts`, with increasing ms. */
function parseSplit(bytes: Uint8Array, cuts: number[]): RecordedEvent[] {
  const parser = new SseParser();
  const ends = [...new Set(cuts)].sort((a, b) => a - b);
  const events: RecordedEvent[] = [];
  let from = 0;
  ends.forEach((at, i) => {
    events.push(...parser.push(bytes.subarray(from, at), i));
    from = at;
  });
  events.push(...parser.push(bytes.subarray(from), ends.length));
  events.push(...parser.end(ends.length + 1));
  return events;
}

const withoutMs = (events: RecordedEvent[]) => events.map(({ ms: _ms, ...rest }) => rest);
const render = (events: RecordedEvent[]) => events.map(renderEvent).join("");

describe("SseParser", () => {
  it("renders back to the exact input, with the same events, wherever the bytes are split", () => {
    for (const text of [SAMPLE, ODD]) {
      const bytes = encoder.encode(text);
      const whole = withoutMs(parseSplit(bytes, []));
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }), (cuts) => {
          const events = parseSplit(bytes, cuts);
          expect(render(events)).toBe(text);
          expect(withoutMs(events)).toEqual(whole);
        }),
        { numRuns: 300 },
      );
    }
  });

  it("decodes a multi-byte character split between pushes", () => {
    const bytes = encoder.encode("data: 👍🏽é\n\n");
    const parser = new SseParser();
    const events = [
      ...parser.push(bytes.subarray(0, 8), 1),
      ...parser.push(bytes.subarray(8, 13), 2),
      ...parser.push(bytes.subarray(13), 3),
    ];
    expect(events).toEqual([{ ms: 3, data: "👍🏽é" }]);
  });

  it("turns standard data lines into data events, [DONE] included", () => {
    const events = parseSplit(encoder.encode(SAMPLE), []);
    const data = events.filter((e) => "data" in e);
    expect(data).toHaveLength(7);
    expect(data.at(-1)).toMatchObject({ data: "[DONE]" });
    expect(JSON.parse((data[2] as { data: string }).data).choices[0].delta.content).toBe("Paris — 日本語 👨‍👩‍👧‍👦 👍🏽 🇫🇷");
    expect(events.some((e) => "raw" in e)).toBe(false);
  });

  it("keeps everything after the colon of a comment, so it renders back", () => {
    const parser = new SseParser();
    expect(parser.push(": OPENROUTER PROCESSING\n\n:tight\n\n", 5)).toEqual([
      { ms: 5, comment: " OPENROUTER PROCESSING" },
      { ms: 5, comment: "tight" },
    ]);
  });

  it("keeps CRLF framing, event names, multi-line data, missing spaces and bare JSON as raw text", () => {
    for (const text of [
      "data: x\r\n\r\n",
      "data: x\r\r",
      "event: error\ndata: {}\n\n",
      "data: a\ndata: b\n\n",
      "data:x\n\n",
      '{"a":1}\n\n',
    ]) {
      const parser = new SseParser();
      expect([...parser.push(text, 0), ...parser.end(1)]).toEqual([{ ms: text.endsWith("\r") ? 1 : 0, raw: text }]);
    }
  });

  it("waits after a final \\r in case a \\n follows it", () => {
    const parser = new SseParser();
    expect(parser.push("data: x\r", 1)).toEqual([]);
    expect(parser.push("\n\r", 2)).toEqual([]);
    expect(parser.push("\ndata: y\n\n", 3)).toEqual([
      { ms: 3, raw: "data: x\r\n\r\n" },
      { ms: 3, data: "y" },
    ]);
  });

  it("stamps each event with the ms of the push that completed it", () => {
    const parser = new SseParser();
    expect(parser.push("data: a\n", 10)).toEqual([]);
    expect(parser.push("\ndata: b\n\ndata: c", 20)).toEqual([
      { ms: 20, data: "a" },
      { ms: 20, data: "b" },
    ]);
    expect(parser.push("\n\n", 30)).toEqual([{ ms: 30, data: "c" }]);
  });

  it("flushes a trailing partial event as raw at the end", () => {
    const parser = new SseParser();
    expect(parser.push("data: a\n\ndata: cut", 1)).toEqual([{ ms: 1, data: "a" }]);
    expect(parser.end(7)).toEqual([{ ms: 7, raw: "data: cut" }]);
    expect(parser.end(8)).toEqual([]);
  });

  it("keeps a byte-order mark", () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode("data: x\n\n")]);
    const events = parseSplit(bytes, [1]);
    expect(render(events)).toBe("\ufeffdata: x\n\n");
  });
});
