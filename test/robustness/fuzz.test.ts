/**
 * Seeded fuzzing of the chat endpoint on one listening server: ~3000 hostile requests (broken
 * JSON, random JSON, mutated bodies, huge and deep values, prototype keys, bad bytes, odd content
 * types, random control headers and keys), 20 at a time. Every answer must be a good 200, a 4xx
 * in the contract's envelope, or what an explicitly requested fault makes of it; no 5xx unless
 * asked for; the server still answers afterwards and Object.prototype is untouched.
 *
 * Reproduce a failure with the same SEED; each failure names its case number and what was sent.
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { Agent, type IncomingHttpHeaders, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fault, parseFaultSpec } from "../../src/faults/fault-spec.js";
import { type MockServer, startMockServer } from "../../src/index.js";
import { watchEventLoop } from "../helpers/event-loop.js";

const SEED = 20_260_501;
const TOTAL = 3000;
const CONCURRENCY = 20;
/** A request that should finish gets this long; a timeout is then a failure. Generous on purpose. */
const FINISH_TIMEOUT_MS = 30_000;
/** A request whose faults may legitimately never finish (stall, long ttfb) is given up on after this. */
const HANG_TIMEOUT_MS = 2_500;

// ---------------------------------------------------------------- generators

const MODELS = [
  "anthropic/claude-sonnet-4-6",
  "openai/gpt-5",
  "openai/gpt-4o",
  "google/gemini-2.5-pro",
  "x-ai/grok-4",
  "deepseek/deepseek-r1",
  "unknown/model",
  "",
  "a",
  "\ud800",
  "x".repeat(300),
];
const TEXTS = [
  "hello",
  "why is the sky blue?",
  "explain recursion",
  "",
  "ünïcödé 日本語 🧑🏽‍💻 e\u0301",
  "lone \ud800 surrogate",
  "reversed \udc00\ud800 pair",
  "\udfff",
  "nul \u0000 inside",
  "<|endoftext|><|im_start|>",
  "{{request.model}} {{match.1}} {{lastUserMessage}} {{request.__proto__}} {{request.constructor.prototype}}",
  "line\r\nbreaks\n\ndata: [DONE]\n\n",
];
const ROLES = ["system", "developer", "user", "assistant", "tool", "function", "bogus", ""];
const FIELDS = [
  "model",
  "messages",
  "stream",
  "stream_options",
  "temperature",
  "top_p",
  "n",
  "max_tokens",
  "max_completion_tokens",
  "stop",
  "tools",
  "tool_choice",
  "reasoning",
  "include_reasoning",
  "usage",
  "extra_field",
];
const MESSAGE_FIELDS = ["role", "content", "tool_calls", "tool_call_id", "name", "extra"];
const PROTO_KEYS = ["__proto__", "constructor", "prototype"];
const PROTO_VALUES = [
  '{"polluted":"yes"}',
  '{"prototype":{"polluted":"yes"}}',
  '{"toString":"not a function","valueOf":1,"polluted":"yes"}',
  '"polluted"',
  "null",
  "[1,2]",
];
const BAD_BYTES = [
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xc3]),
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
  Buffer.from([0xc0, 0xaf]), // overlong "/"
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from([0x00]),
  Buffer.from([0x00, 0x00, 0x00, 0x00]),
];

/** A placeholder value, replaced in the JSON text by raw text or raw bytes. */
type Raw = string | Buffer;
interface Built {
  body: Record<string, unknown>;
  raws: Map<string, Raw>;
  labels: string[];
}

let markerCount = 0;
function marker(built: Built, raw: Raw): string {
  const m = `@@M${++markerCount}@@`;
  built.raws.set(`"${m}"`, raw);
  return m;
}

/** Serialises the body and splices the raw pieces in. */
function render(built: Built): Buffer {
  let text = JSON.stringify(built.body);
  const parts: Buffer[] = [];
  for (;;) {
    let first: { at: number; key: string } | undefined;
    for (const key of built.raws.keys()) {
      const at = text.indexOf(key);
      if (at >= 0 && (first === undefined || at < first.at)) first = { at, key };
    }
    if (!first) break;
    parts.push(Buffer.from(text.slice(0, first.at), "utf8"));
    const raw = built.raws.get(first.key) as Raw;
    parts.push(typeof raw === "string" ? Buffer.from(raw, "utf8") : raw);
    text = text.slice(first.at + first.key.length);
  }
  parts.push(Buffer.from(text, "utf8"));
  return Buffer.concat(parts);
}

const HUGE_TEXTS = [
  "lorem ipsum dolor sit amet ".repeat(7600),
  "é ".repeat(100_000),
  "日本語のテキスト。".repeat(8000),
  "🧑🏽‍💻 ok ".repeat(12_000),
  "0123456789".repeat(20_000),
];

const deepArray = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/** The objects of a body a mutation may land in. */
function targets(body: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [body];
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObj(m)) continue;
    out.push(m);
    for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) if (isObj(call) && isObj(call.function)) out.push(call.function);
  }
  for (const t of Array.isArray(body.tools) ? body.tools : []) {
    if (!isObj(t) || !isObj(t.function)) continue;
    out.push(t.function);
    if (isObj(t.function.parameters)) {
      out.push(t.function.parameters);
      if (isObj(t.function.parameters.properties)) out.push(t.function.parameters.properties);
    }
  }
  return out;
}

type Mutation =
  | { kind: "set"; where: number; field: number; value: unknown }
  | { kind: "delete"; where: number; field: number }
  | { kind: "huge"; where: number; field: number }
  | { kind: "deep"; where: number; field: number; depth: number; object: boolean }
  | { kind: "manyMessages"; count: number }
  | { kind: "proto"; where: number; key: number; value: number }
  | { kind: "duplicate"; field: number; value: unknown }
  | { kind: "bytes"; where: number; field: number; bytes: number }
  | { kind: "surrogates"; where: number; field: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("set" as const), where: fc.nat(), field: fc.nat(), value: fc.jsonValue({ maxDepth: 3 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), where: fc.nat(), field: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("huge" as const), where: fc.nat(), field: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("deep" as const),
      where: fc.nat(),
      field: fc.nat(),
      depth: fc.oneof(fc.integer({ min: 1000, max: 5000 }), fc.integer({ min: 30, max: 70 })),
      object: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("manyMessages" as const), count: fc.constantFrom(20_000, 10_001, 10_000, 2_000) }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("proto" as const), where: fc.nat(), key: fc.nat(), value: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), field: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("bytes" as const), where: fc.nat(), field: fc.nat(), bytes: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("surrogates" as const), where: fc.nat(), field: fc.nat() }) },
);

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

function applyMutation(built: Built, m: Mutation): void {
  const all = targets(built.body);
  const fieldsFor = (t: Record<string, unknown>) => (t === built.body ? FIELDS : [...MESSAGE_FIELDS, ...Object.keys(t)]);
  switch (m.kind) {
    case "set": {
      const t = pick(all, m.where);
      t[pick(fieldsFor(t), m.field)] = m.value;
      built.labels.push("set");
      return;
    }
    case "delete": {
      const t = pick(all, m.where);
      delete t[pick(fieldsFor(t), m.field)];
      built.labels.push("delete");
      return;
    }
    case "huge": {
      const t = pick(all, m.where);
      // 200 KB of text with word breaks. (One unbroken run of letters is quadratic to tokenise:
      // see the separate test below.)
      const text = pick(HUGE_TEXTS, m.field);
      t[pick(fieldsFor(t), m.field)] = text;
      built.labels.push("huge-string");
      return;
    }
    case "deep": {
      const t = pick(all, m.where);
      t[pick(fieldsFor(t), m.field)] = marker(built, m.object ? deepObject(m.depth) : deepArray(m.depth));
      built.labels.push(`deep-${m.depth}`);
      return;
    }
    case "manyMessages":
      built.body.messages = Array.from({ length: m.count }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `m${i}` }));
      built.labels.push(`messages-${m.count}`);
      return;
    case "proto": {
      const t = pick(all, m.where);
      t[marker(built, `"${pick(PROTO_KEYS, m.key)}"`)] = marker(built, pick(PROTO_VALUES, m.value));
      built.labels.push(`proto-${pick(PROTO_KEYS, m.key)}`);
      return;
    }
    case "duplicate": {
      // The same key twice in the JSON text; JSON.parse keeps the last.
      const field = pick(FIELDS, m.field);
      built.body[marker(built, `"${field}"`)] = m.value;
      built.body[marker(built, `"${field}"`)] = field === "model" ? "openai/gpt-4o" : m.value;
      built.labels.push(`duplicate-${field}`);
      return;
    }
    case "bytes": {
      const t = pick(all, m.where);
      const bytes = pick(BAD_BYTES, m.bytes);
      t[pick(fieldsFor(t), m.field)] = marker(built, Buffer.concat([Buffer.from('"a'), bytes, Buffer.from('b"')]));
      built.labels.push(`bytes-${bytes.toString("hex")}`);
      return;
    }
    case "surrogates": {
      const t = pick(all, m.where);
      t[pick(fieldsFor(t), m.field)] = marker(built, '"x\\ud800y\\udfff\\ud800\\ud800\\udc00z"');
      built.labels.push("surrogates");
      return;
    }
  }
}

const toolArb = fc.record({
  type: fc.oneof({ weight: 8, arbitrary: fc.constant("function") }, { weight: 1, arbitrary: fc.constantFrom("code", "") }),
  function: fc.record({
    name: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom("get_weather", "search") },
      { weight: 1, arbitrary: fc.constantFrom("", "ü", "a".repeat(100)) },
    ),
    description: fc.option(fc.string(), { nil: undefined }),
    parameters: fc.constantFrom<unknown>(
      { type: "object", properties: { city: { type: "string" }, days: { type: "integer", minimum: 1 } }, required: ["city"] },
      { type: "object", properties: { q: { type: "array", items: { type: "string" } }, f: { enum: ["a", "b"] } } },
      { type: "object", properties: { r: { $ref: "#" }, n: { anyOf: [{ type: "null" }, { type: "number" }] } } },
      { type: "object" },
      {},
      null,
      undefined,
    ),
  }),
});

const messageArb = fc.record({
  role: fc.oneof({ weight: 12, arbitrary: fc.constant("user") }, { weight: 3, arbitrary: fc.constantFrom(...ROLES) }),
  content: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...TEXTS) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 60 }) },
    {
      weight: 1,
      arbitrary: fc.constant([
        { type: "text", text: "parts" },
        { type: "image_url", image_url: { url: "data:," } },
      ]),
    },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
});

const baseBodyArb = fc.record(
  {
    model: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...MODELS) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) }),
    messages: fc.array(messageArb, { minLength: 1, maxLength: 4 }),
    stream: fc.constantFrom(true, false, undefined),
    tools: fc.option(fc.array(toolArb, { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 2 }),
    max_tokens: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined, freq: 3 }),
    reasoning: fc.option(fc.constantFrom({ exclude: true }, { effort: "high" }), { nil: undefined, freq: 3 }),
  },
  { requiredKeys: ["model", "messages"] },
);

const validishArb = fc
  .tuple(
    baseBodyArb,
    fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) }),
    fc.boolean(),
  )
  .map(([base, mutations, toolResult]): { body: Buffer; label: string } => {
    const body = structuredClone(base) as Record<string, unknown>;
    if (toolResult && Array.isArray(body.messages)) {
      (body.messages as unknown[]).push(
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c1", content: "18 degrees" },
      );
    }
    const built: Built = { body, raws: new Map(), labels: ["validish"] };
    for (const m of mutations) applyMutation(built, m);
    return { body: render(built), label: built.labels.join(",") };
  });

const malformedArb: fc.Arbitrary<{ body: Buffer; label: string }> = fc
  .oneof(
    fc.string({ maxLength: 80 }),
    fc.constantFrom(
      "",
      "{",
      "}",
      '{"model":',
      "{'model':'a'}",
      '{"model":"a",}',
      '{"model":NaN}',
      '{"model":"a" /* c */}',
      "[1,2",
      '"unterminated',
      "nul\u0000",
      '{"messages":[{"role":"user","content":"raw \u0000 nul"}],"model":"a"}',
      '{"model":"a","messages":[{"role":"user","content":"tab\there"}]}',
      "\ufeff{}",
      "undefined",
      `${"[".repeat(20_000)}`,
      `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`,
    ),
    fc.jsonValue().map((v) => {
      const text = JSON.stringify(v) ?? "null";
      return text.slice(0, Math.max(0, text.length - 1));
    }),
  )
  .map((text) => ({ body: Buffer.from(text, "utf8"), label: "malformed" }));

const jsonValueArb = fc.jsonValue().map((v) => ({ body: Buffer.from(JSON.stringify(v) ?? "null", "utf8"), label: "json-value" }));

const oversizeArb = fc.constantFrom(1_000_001, 1_500_000).map((size) => {
  const text = JSON.stringify({ model: "a/b", messages: [{ role: "user", content: "x".repeat(size) }] });
  return { body: Buffer.from(text, "utf8"), label: `oversize-${text.length}` };
});

/** A header value Node's client will send: any text, as its UTF-8 bytes read as latin1 (how a server sees them). */
const headerSafe = (s: string) =>
  Buffer.from(s, "utf8")
    .toString("latin1")
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, "");

const randomHeaderText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "\t",
    "null",
    "undefined",
    "-1",
    "0",
    "1e308",
    "NaN",
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "日本語",
    "é".repeat(150),
    "x".repeat(4000),
  ),
);

const faultPartArb = fc.oneof(
  fc.constantFrom("http:999", "http:100", "http:200", "http:399", "http:600", "http:404:context", "http:4000", "http:"),
  fc.constantFrom(400, 401, 402, 403, 404, 408, 413, 429, 499, 500, 502, 503, 504, 599).map((s) => `http:${s}`),
  fc.constant("http:400:context"),
  fc
    .tuple(fc.constantFrom("error", "disconnect", "malformed", "truncate"), fc.oneof(fc.nat(8), fc.constantFrom(999999, 1e21)))
    .map(([k, n]) => `${k}@${n}`),
  fc
    .tuple(fc.constantFrom("stall", "slow"), fc.nat(6), fc.oneof(fc.nat(300), fc.constantFrom(600_001, 99_999_999_999)))
    .map(([k, n, ms]) => `${k}@${n}:${ms}`),
  fc.constantFrom("slow@2", "stall@-1", "error@", "@3", "error@3:5"),
  fc.oneof(fc.nat(300), fc.constantFrom(600_001, 1e12, 99_999_999_999_999)).map((ms) => `ttfb:${ms}`),
  fc
    .constantFrom("event-lines", "crlf", "split-utf8", "raw-error-line", "keepalive-flood", "no-done", "usage-chunk", "bogus", "")
    .map((q) => `quirk:${q}`),
  fc.constantFrom("none", "NONE", "error@3 ", " http:429"),
);
// Faults that never finish or take long, drawn rarely: each one costs a client timeout.
const hangingFaultArb = fc.constantFrom("stall@0", "stall@2", "ttfb:5000", "slow@1:4000", "stall@1:30000", "ttfb:600000+http:503");

/** Specs the server accepts, and that finish within ~2 s. */
const validFaultArb = fc.oneof(
  fc.constantFrom(400, 401, 402, 403, 404, 408, 413, 429, 500, 502, 503, 504).map((s) => `http:${s}`),
  fc.constant("http:400:context"),
  fc.tuple(fc.constantFrom("error", "disconnect", "malformed", "truncate"), fc.nat(8)).map(([k, n]) => `${k}@${n}`),
  fc.tuple(fc.constantFrom("stall", "slow"), fc.nat(6), fc.nat(300)).map(([k, n, ms]) => `${k}@${n}:${ms}`),
  fc.nat(300).map((ms) => `ttfb:${ms}`),
  fc
    .constantFrom("event-lines", "crlf", "split-utf8", "raw-error-line", "keepalive-flood", "no-done", "usage-chunk")
    .map((q) => `quirk:${q}`),
  fc.constant("none"),
);

const faultHeaderArb = fc.oneof(
  { weight: 8, arbitrary: validFaultArb },
  { weight: 3, arbitrary: fc.array(validFaultArb, { minLength: 2, maxLength: 3 }).map((parts) => parts.join("+")) },
  {
    weight: 4,
    arbitrary: fc.array(faultPartArb, { minLength: 1, maxLength: 3 }).chain((parts) => fc.constantFrom(parts.join("+"), parts.join(","))),
  },
  { weight: 2, arbitrary: randomHeaderText },
  { weight: 1, arbitrary: hangingFaultArb },
);

const cassetteHeaderArb = fc.oneof(
  fc.constantFrom(
    "../../etc/passwd",
    "/abs",
    "/etc/passwd",
    "a/../../b",
    "..",
    ".",
    ".hidden",
    "a//b",
    "a/./b",
    "a\\..\\..\\b",
    "%2e%2e/%2e%2e/etc/passwd",
    "C:\\Windows\\win.ini",
    "default",
    "suite/login",
    "ok-name",
    "n".repeat(201),
    `${"d/".repeat(150)}x`,
    "x".repeat(4000),
    "ünïcødé",
    "名前",
  ),
  randomHeaderText,
);

const authArb = fc.oneof(
  { weight: 40, arbitrary: fc.constant("Bearer fuzz-key") },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      "",
      "Bearer",
      "Bearer ",
      "bearer x",
      "Basic Zm9vOmJhcg==",
      "Bearer \u00e9\u00e9",
      `Bearer ${"k".repeat(6000)}`,
    ),
  },
  { weight: 1, arbitrary: randomHeaderText },
);

const contentTypeArb = fc.oneof(
  { weight: 10, arbitrary: fc.constant("application/json") },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      undefined,
      "",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=----fuzz",
      "application/json; charset=utf-8",
      "application/json; charset=utf-16",
      "application/json; charset=latin1",
      "application/json; charset=bogus",
      "image/png",
      "*/*",
    ),
  },
  { weight: 1, arbitrary: randomHeaderText },
);

interface Case {
  n: number;
  label: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  chunked: boolean;
}

/** `arb` one time in `oneIn`, else left out. */
const opt = <T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const caseArb = fc
  .record({
    body: fc.oneof(
      { weight: 300, arbitrary: validishArb },
      { weight: 45, arbitrary: malformedArb },
      { weight: 45, arbitrary: jsonValueArb },
      { weight: 1, arbitrary: oversizeArb },
    ),
    path: fc.constantFrom("/api/v1/chat/completions", "/api/v1/chat/completions", "/v1/chat/completions", "/api/v1/chat/completions?x=1"),
    auth: authArb,
    contentType: contentTypeArb,
    encoding: opt(fc.constantFrom("gzip", "gzip-bad", "deflate", "br", "bogus", "identity"), 40),
    scenario: opt(
      fc.oneof(fc.constantFrom("greeting", "reasoning-demo", "tool-call-demo", "tool-result", "fallback", "nope"), randomHeaderText),
      8,
    ),
    fault: opt(faultHeaderArb, 2),
    seed: opt(fc.oneof(fc.integer().map(String), randomHeaderText), 8),
    latency: opt(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom("none", "fast", "NONE", " fast", "instant", "0") },
        { weight: 1, arbitrary: fc.constantFrom("realistic", "slow") },
        { weight: 2, arbitrary: randomHeaderText },
      ),
      10,
    ),
    session: opt(randomHeaderText, 8),
    cassette: opt(cassetteHeaderArb, 10),
    chunked: fc.boolean(),
  })
  .map((r): Omit<Case, "n"> => {
    const headers: Record<string, string> = {};
    let body = r.body.body;
    const set = (name: string, value: string | undefined) => {
      if (value !== undefined) headers[name] = headerSafe(value);
    };
    set("authorization", r.auth);
    set("content-type", r.contentType);
    if (r.encoding === "gzip") body = gzipSync(body);
    set("content-encoding", r.encoding === "gzip-bad" ? "gzip" : r.encoding);
    set("x-mock-scenario", r.scenario);
    set("x-mock-fault", r.fault);
    set("x-mock-seed", r.seed);
    set("x-mock-latency", r.latency);
    set("x-mock-session", r.session);
    set("x-mock-cassette", r.cassette);
    const label = [r.body.label, ...Object.entries(headers).map(([k, v]) => `${k}=${JSON.stringify(v.slice(0, 50))}`)].join(" ");
    return { label, path: r.path, headers, body, chunked: r.chunked };
  });

// ---------------------------------------------------------------- what each answer may be

/** The faults the server parses from the x-mock-fault header, read as the server reads it. */
function requestedFaults(headers: Record<string, string>): Fault[] {
  const text = headers["x-mock-fault"]?.trim();
  if (text === undefined || text === "" || text.length > 200) return [];
  const spec = parseFaultSpec(text);
  return typeof spec === "string" ? [] : spec.faults;
}

interface Expectation {
  faults: Fault[];
  /** Statuses at or above 500 that a requested fault explains. */
  allowed5xx: Set<number>;
  /** The request may legitimately never finish. */
  mayHang: boolean;
  /** The connection may legitimately be cut. */
  mayCut: boolean;
}

function expectationOf(c: Case): Expectation {
  const faults = requestedFaults(c.headers);
  const allowed5xx = new Set<number>();
  let delay = 0;
  let mayHang = false;
  for (const f of faults) {
    if (f.kind === "http" && f.status >= 500) allowed5xx.add(f.status);
    if (f.kind === "error") allowed5xx.add(502); // a non-streamed answer's error@N is a 502
    if (f.kind === "ttfb" || f.kind === "slow") delay += f.ms;
    if (f.kind === "stall") {
      if (f.ms === undefined) mayHang = true;
      else delay += f.ms;
    }
  }
  if (delay > 2000) mayHang = true;
  const mayCut = mayHang || faults.some((f) => f.kind === "disconnect");
  return { faults, allowed5xx, mayHang, mayCut };
}

type Outcome =
  | { kind: "response"; status: number; headers: IncomingHttpHeaders; body: Buffer }
  | { kind: "timeout" }
  | { kind: "cut"; message: string; status?: number };

function send(origin: URL, agent: Agent, c: Case, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    const headers: Record<string, string | number> = { ...c.headers };
    if (!c.chunked) headers["content-length"] = c.body.length;
    const req = request({ agent, host: origin.hostname, port: origin.port, method: "POST", path: c.path, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => finish({ kind: "response", status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on("error", (e) => finish({ kind: "cut", message: e.message, status: res.statusCode ?? 0 }));
      res.on("close", () => finish({ kind: "cut", message: "closed before the end", status: res.statusCode ?? 0 }));
    });
    const timer = setTimeout(() => {
      finish({ kind: "timeout" });
      req.destroy();
    }, timeoutMs);
    req.on("error", (e) => finish({ kind: "cut", message: e.message }));
    if (c.chunked && c.body.length > 1) {
      const half = Math.floor(c.body.length / 2);
      req.write(c.body.subarray(0, half));
      req.end(c.body.subarray(half));
    } else req.end(c.body);
  });
}

/** What is wrong with an error answer's body, if anything. */
function envelopeProblem(headers: IncomingHttpHeaders, body: Buffer): string | undefined {
  if (!String(headers["content-type"] ?? "").includes("application/json")) return `content-type is ${headers["content-type"]}`;
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    return `body is not JSON: ${body.toString("utf8").slice(0, 120)}`;
  }
  const error = (value as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error !== "object") return "no `error` object";
  if (typeof error.code !== "number" && typeof error.code !== "string") return "`error.code` missing";
  if (typeof error.message !== "string" || error.message === "") return "`error.message` is not a string";
  if (error.metadata === null || typeof error.metadata !== "object" || Array.isArray(error.metadata))
    return "`error.metadata` is not an object";
  return undefined;
}

/** The data payloads of an SSE body, and how it ended. */
function sseEvents(text: string): { data: string[]; endsWithDone: boolean } {
  const normal = text.replace(/\r\n/g, "\n");
  const data = normal
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trimStart());
  return { data, endsWithDone: /data: \[DONE\]\n\n$/.test(normal) };
}

function streamProblem(text: string, e: Expectation): string | undefined {
  const kinds = new Set(e.faults.map((f) => (f.kind === "quirk" ? `quirk:${f.name}` : f.kind)));
  const { data, endsWithDone } = sseEvents(text);
  let sawError = false;
  for (const payload of data) {
    if (payload === "[DONE]") continue;
    let chunk: { choices?: unknown; error?: { message?: unknown } };
    try {
      chunk = JSON.parse(payload) as typeof chunk;
    } catch {
      if (kinds.has("malformed")) continue;
      return `a data line is not JSON: ${payload.slice(0, 80)}`;
    }
    if (chunk.error !== undefined) {
      if (!kinds.has("error")) return `an error chunk without an error@ fault: ${payload.slice(0, 120)}`;
      if (typeof chunk.error.message !== "string") return "an error chunk without a message";
      sawError = true;
      continue;
    }
    if (!Array.isArray(chunk.choices)) return `a chunk without choices: ${payload.slice(0, 80)}`;
  }
  if (endsWithDone) return undefined;
  // Ways a requested fault legitimately ends a stream without [DONE].
  if (sawError) return undefined;
  for (const k of ["truncate", "disconnect", "stall", "quirk:no-done", "quirk:raw-error-line"]) if (kinds.has(k)) return undefined;
  return `the stream does not end with data: [DONE]: …${JSON.stringify(text.slice(-120))}`;
}

function jsonProblem(text: string, e: Expectation): string | undefined {
  let value: { choices?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    if (e.faults.some((f) => f.kind === "malformed" || f.kind === "truncate")) return undefined;
    return `a 200 JSON answer that does not parse: ${text.slice(0, 120)}`;
  }
  return Array.isArray(value?.choices) ? undefined : `a 200 JSON answer without choices: ${text.slice(0, 120)}`;
}

/** Everything wrong with one outcome; empty when it is acceptable. */
function judge(c: Case, o: Outcome): string | undefined {
  const e = expectationOf(c);
  if (o.kind === "timeout") return e.mayHang ? undefined : `no answer within ${FINISH_TIMEOUT_MS} ms`;
  if (o.kind === "cut") {
    if (e.mayCut) return undefined;
    return `connection cut (${o.message}${o.status ? `, after status ${o.status}` : ""})`;
  }
  const { status, headers, body } = o;
  if (typeof headers["x-request-id"] !== "string") return `status ${status} without x-request-id`;
  const text = body.toString("utf8");
  if (status === 200) {
    const type = String(headers["content-type"] ?? "");
    if (type.includes("text/event-stream")) return streamProblem(text, e);
    if (type.includes("application/json")) return jsonProblem(text, e);
    return `a 200 with content-type ${type}`;
  }
  if (status >= 400 && status < 500) {
    const problem = envelopeProblem(headers, body);
    return problem ? `${status}: ${problem}` : undefined;
  }
  if (status >= 500 && e.allowed5xx.has(status)) {
    const problem = envelopeProblem(headers, body);
    return problem ? `${status}: ${problem}` : undefined;
  }
  return `status ${status}: ${text.slice(0, 200)}`;
}

// ---------------------------------------------------------------- the run

let mock: MockServer;
let cassettes: string;
beforeAll(async () => {
  // An empty cassettes folder of its own, so the run cannot depend on (or write to) the working directory.
  cassettes = mkdtempSync(join(tmpdir(), "cline-mock-fuzz-"));
  mock = await startMockServer({ port: 0, latency: "none", maxBodyBytes: 1_000_000, cassettes });
});
afterAll(() => mock?.close());

const normalBody = (stream: boolean) =>
  JSON.stringify({ model: "anthropic/claude-sonnet-4-6", stream, messages: [{ role: "user", content: "hello after the storm" }] });

describe("fuzzing the chat endpoint", () => {
  it(`answers ${TOTAL} seeded hostile requests with a good 200, a 4xx envelope, or what a requested fault makes, and keeps serving`, async () => {
    const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    const cases: Case[] = fc.sample(caseArb, { seed: SEED, numRuns: TOTAL }).map((c, n) => ({ ...c, n }));
    const origin = new URL(mock.origin);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const failures: string[] = [];
    const statuses = new Map<string | number, number>();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++] as Case;
        const e = expectationOf(c);
        const o = await send(origin, agent, c, e.mayHang ? HANG_TIMEOUT_MS : FINISH_TIMEOUT_MS);
        const key = o.kind === "response" ? o.status : o.kind;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        const problem = judge(c, o);
        if (problem) failures.push(`#${c.n} [${c.label}] (${c.body.length} bytes): ${problem}`);
        // A name that would leave the cassettes folder is never answered with a recording or a scenario.
        const name = c.headers["x-mock-cassette"]?.trim() ?? "";
        if (o.kind === "response" && o.status === 200 && (name.includes("..") || name.startsWith("/")))
          failures.push(`#${c.n}: x-mock-cassette ${JSON.stringify(name)} was answered with a 200`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    agent.destroy();

    expect(failures.slice(0, 15), `seed ${SEED}: ${failures.length} bad answers; by status ${JSON.stringify([...statuses])}`).toEqual([]);
    // The run reached the answering code, not only the validators.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(TOTAL * 0.15);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(TOTAL * 0.15);

    // Still serving: a plain JSON request and a plain stream.
    const json = await fetch(`${mock.url}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: normalBody(false),
    });
    expect(json.status).toBe(200);
    expect(((await json.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    const stream = await fetch(`${mock.url}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: normalBody(true),
    });
    expect(stream.status).toBe(200);
    expect(await stream.text()).toMatch(/data: \[DONE\]\n\n$/);

    // No prototype was polluted by the __proto__/constructor/prototype keys.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
    // Replay mode wrote nothing, whatever the x-mock-cassette names asked for.
    expect(readdirSync(cassettes)).toEqual([]);
  }, 120_000);

  // Regression (fixed): token counting is quadratic in the length of an unbroken run of letters
  // (gpt-tokenizer's BPE over one pre-token), and it runs synchronously on the request path
  // (promptTokens, then the fallback's generated answer, which quotes the longest word). On the
  // 2-core machine 40 000 "x" took 3 s, 200 000 "x" 34 s for the count alone, during which the
  // whole server answers nothing. The default --max-body is 20 MiB. Should: cap or split long
  // runs before BPE (or estimate their count) so one request cannot stall the event loop.
  it("does not stall the server for a second on a 40 000-character word in a message", async () => {
    // The server runs in this process: its longest synchronous stretch is the longest gap between ticks here.
    const loop = watchEventLoop(10);
    let longest = 0;
    try {
      const res = await fetch(`${mock.url}/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer k", "content-type": "application/json" },
        body: JSON.stringify({ model: "openai/gpt-4o", stream: false, messages: [{ role: "user", content: "x".repeat(40_000) }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
    } finally {
      longest = loop.stop();
    }
    expect(longest).toBeLessThan(1000);
  }, 120_000);
});
