/**
 * Hostile scenario and cassette YAML: alias bombs, files over the size limit, custom tags,
 * prototype keys, duplicate keys, deep nesting, self-referencing anchors. Each must give a
 * FileError naming the file (and the line where there is one) from createApp / loadScenarios /
 * startMockServer, or a 400 envelope from POST /_mock/scenarios; never a crash, a hang, or a
 * polluted Object.prototype.
 *
 * Deep nesting is loaded in child processes: it drives the YAML parser to the stack limit, where
 * V8 can abort the whole process (see the failing test below), and an abort must fail a test, not
 * kill the test runner.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, startMockServer } from "../../src/index.js";
import { loadScenarios } from "../../src/scenarios/load.js";
import { FileError, MAX_YAML_BYTES } from "../../src/util/yaml-file.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin/cline-mock");
const DIST_INDEX = join(ROOT, "dist/index.js");

const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
const notPolluted = () => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cline-mock-yaml-hostile-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function scenarioFile(name: string, text: string): string {
  const file = join(dir, `${++fileCount}-${name}.yaml`);
  writeFileSync(file, text);
  return file;
}
/** A cassettes folder holding one cassette file. */
function cassetteDir(name: string, text: string): string {
  const folder = join(dir, `cassettes-${++fileCount}-${name}`);
  mkdirSync(folder);
  writeFileSync(join(folder, `${name}.yaml`), text);
  return folder;
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
async function rejected(promise: Promise<{ close(): Promise<void> }>): Promise<unknown> {
  try {
    const mock = await promise;
    await mock.close();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Nine levels of nine aliases each: 9^9 "lol"s if expanded. */
function billionLaughs(prefix: string): string {
  const lines = [`${prefix}a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]`];
  for (let i = 1; i < 9; i++)
    lines.push(
      `${prefix}a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  return `${lines.join("\n")}\n`;
}

interface Hostile {
  /** The scenario file's text. */
  scenario: string;
  /** The same construct in a cassette file. */
  cassette: string;
  message: RegExp;
  /** The line the error must name; null when the problem has no single line (an alias count). */
  line: number | null;
  /** The cassette's line, when it differs. */
  cassetteLine?: number;
}

const HOSTILE: Record<string, Hostile> = {
  "billion laughs": {
    scenario: `name: laughs\nreply: { content: hi }\nlaughs:\n${billionLaughs("  ")}`,
    cassette: `cassette: 1\ninteractions: []\nlaughs:\n${billionLaughs("  ")}`,
    message: /alias/i,
    line: null,
  },
  "a !!js/function tag": {
    scenario: 'name: js\nreply:\n  content: !!js/function "function () { process.exit(7) }"\n',
    cassette: 'cassette: 1\ninteractions:\n  - recordedAt: !!js/function "function () { process.exit(7) }"\n',
    message: /tag that is not allowed/,
    line: 3,
  },
  "a !custom tag": {
    scenario: "name: custom\nreply:\n  content: !custom hi\n",
    cassette: "cassette: 1\nrecordedWith: !custom x\ninteractions: []\n",
    message: /tag that is not allowed/,
    line: 3,
    cassetteLine: 2,
  },
  "a !!python/object tag": {
    scenario: 'name: py\nreply: !!python/object/apply:os.system ["echo pwned"]\n',
    cassette: 'cassette: 1\ninteractions: !!python/object/apply:os.system ["echo pwned"]\n',
    message: /tag that is not allowed/,
    line: 2,
  },
  "a __proto__ key at the top": {
    scenario: "name: proto\n__proto__: { polluted: yes }\nreply: { content: hi }\n",
    cassette: "cassette: 1\n__proto__: { polluted: yes }\ninteractions: []\n",
    message: /__proto__/,
    line: 2,
  },
  "a __proto__ key inside a mapping": {
    scenario: "name: proto\nmatch:\n  model: a/b\n  __proto__: { polluted: yes }\nreply: { content: hi }\n",
    cassette:
      "cassette: 1\ninteractions:\n  - recordedAt: x\n    __proto__: { polluted: yes }\n    request: { path: /p, fingerprint: f, body: {} }\n    response: { status: 200, body: {} }\n",
    message: /__proto__/,
    line: 4,
  },
  "constructor.prototype keys": {
    scenario: "name: ctor\nconstructor: { prototype: { polluted: yes } }\nreply: { content: hi }\n",
    cassette: "cassette: 1\nconstructor: { prototype: { polluted: yes } }\ninteractions: []\n",
    message: /constructor/,
    line: 1,
  },
  "duplicate keys": {
    scenario: "name: first\nreply: { content: hi }\nname: second\n",
    cassette: "cassette: 1\ninteractions: []\ncassette: 1\n",
    message: /unique/,
    line: 3,
  },
};

describe("hostile scenario files", () => {
  for (const [name, h] of Object.entries(HOSTILE)) {
    it(`${name}: createApp and loadScenarios throw a FileError naming the file${h.line === null ? "" : " and line"}`, () => {
      const file = scenarioFile(name.replace(/\W+/g, "-"), h.scenario);
      for (const error of [caught(() => createApp({ scenarios: [file] })), caught(() => loadScenarios([file]))]) {
        expect(error).toBeInstanceOf(FileError);
        const e = error as FileError;
        expect(e.file).toContain(basename(file));
        expect(e.message).toMatch(h.message);
        if (h.line !== null) expect(e.line).toBe(h.line);
      }
      notPolluted();
    });
  }

  it("a file of MAX_YAML_BYTES loads; one byte more gives a FileError that says so", () => {
    const head = "name: big\nreply: { content: hi }\n# ";
    const exact = scenarioFile("just-fits", head + "x".repeat(MAX_YAML_BYTES - head.length));
    expect(loadScenarios([exact]).scenarios.map((s) => s.name)).toEqual(["big"]);
    const file = scenarioFile("too-big", head + "x".repeat(MAX_YAML_BYTES - head.length + 1));
    const error = caught(() => createApp({ scenarios: [file] }));
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).file).toContain("too-big");
    expect((error as FileError).message).toMatch(new RegExp(`larger than ${MAX_YAML_BYTES} bytes`));
  });

  // Regression (fixed): readYaml compares `text.length` (UTF-16 code units) with MAX_YAML_BYTES, so a
  // file of multi-byte text passes at up to 3x the limit in bytes (here 10.8 MB of CJK text against
  // a 10 MiB limit loads fine), and readYamlFile reads the whole file before checking. Should:
  // check the file's size in bytes (stat before reading, or Buffer.byteLength).
  it("a file over MAX_YAML_BYTES in bytes but not in characters is refused too", () => {
    const file = scenarioFile(
      "too-big-cjk",
      `# ${"日本語".repeat(Math.ceil(MAX_YAML_BYTES / 9) + 1000)}\nname: big\nreply: { content: hi }\n`,
    );
    const error = caught(() => createApp({ scenarios: [file] }));
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).message).toMatch(/larger than/);
  });

  it("__proto__ keys are refused even in free-form data (tool-call arguments), naming the line, and pollute nothing", () => {
    const file = scenarioFile(
      "proto-arguments",
      "name: args\nreply:\n  toolCalls:\n    - name: f\n      arguments: { __proto__: { polluted: yes }, city: Paris }\n",
    );
    const error = caught(() => loadScenarios([file]));
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).message).toMatch(
      /proto-arguments\.yaml, line 5: `reply\.toolCalls\[0\]\.arguments\.__proto__` is a "__proto__" key/,
    );
    notPolluted();
  });

  // Regression (fixed): `match.headers` is a zod record, and zod strips a `__proto__` key from records
  // without a word, so `match: { headers: { __proto__: "x" } }` loads as a scenario with no
  // condition at all: it matches every request and shadows every later scenario (only the
  // "can never be reached" warnings hint at it). The same stripping silently drops a `__proto__`
  // key from `reply.toolCalls[].arguments`. Should: refuse the key with a FileError (or keep it).
  it("a __proto__ key in match.headers is refused with a FileError, not dropped into a match-everything scenario", () => {
    const file = scenarioFile("proto-headers", 'name: only-with-header\nmatch:\n  headers: { __proto__: "yes" }\nreply: { content: hi }\n');
    const error = caught(() => createApp({ scenarios: [file] }));
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).message).toMatch(/__proto__/);
  });

  // Regression (fixed): an anchor whose alias sits inside itself (`arguments: &x { self: *x }`) becomes
  // a cyclic object; compileScenario's replyStrings recurses into it for ever and createApp throws
  // `RangeError: Maximum call stack size exceeded` (the CLI prints a stack trace; POST
  // /_mock/scenarios answers 500 "Internal error ... This is a bug"). Should: a FileError naming
  // the file and line ("an alias refers to a node that contains it").
  it("a self-referencing anchor gives a FileError, not a RangeError", () => {
    const file = scenarioFile("cycle", "name: cycle\nreply:\n  toolCalls:\n    - name: f\n      arguments: &x { self: *x }\n");
    const error = caught(() => createApp({ scenarios: [file] }));
    expect(error).toBeInstanceOf(FileError);
  });
});

describe("hostile cassette files", () => {
  for (const [name, h] of Object.entries(HOSTILE)) {
    it(`${name}: startMockServer({ cassettes }) rejects with a FileError naming the file${h.line === null ? "" : " and line"}`, async () => {
      const stem = name.replace(/\W+/g, "-").replace(/^-|-$/g, "");
      const folder = cassetteDir(stem, h.cassette);
      const error = await rejected(startMockServer({ cassettes: folder }));
      expect(error).toBeInstanceOf(FileError);
      const e = error as FileError;
      expect(e.file).toContain(`${stem}.yaml`);
      expect(e.message).toMatch(h.message);
      const line = h.cassetteLine ?? h.line;
      if (line !== null) expect(e.line).toBe(line);
      notPolluted();
    });
  }

  it("a cassette over MAX_YAML_BYTES: startMockServer rejects with a FileError that says so", async () => {
    const folder = cassetteDir("huge", `cassette: 1\ninteractions: []\n# ${"x".repeat(MAX_YAML_BYTES)}\n`);
    const error = await rejected(startMockServer({ cassettes: folder }));
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).message).toMatch(/huge\.yaml: is larger than/);
  });

  it("__proto__ keys inside a recorded body are refused with a FileError naming the file, and pollute nothing", async () => {
    const body = '{"model":"a/b","messages":[{"role":"user","content":"hi"}],"__proto__":{"polluted":"yes"},"stream":false}';
    const folder = cassetteDir(
      "proto-body",
      [
        "cassette: 1",
        "interactions:",
        "  - recordedAt: 2026-01-01T00:00:00.000Z",
        "    request:",
        "      path: /api/v1/chat/completions",
        "      fingerprint: anything",
        `      body: ${body}`,
        "    response:",
        "      status: 200",
        "      body: {}",
        "",
      ].join("\n"),
    );
    const error = await rejected(startMockServer({ cassettes: folder }));
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).message).toMatch(/proto-body\.yaml, line 7: `interactions\[0\]\.request\.body\.__proto__`/);
    notPolluted();
  });

  // Regression (fixed): the same self-referencing anchor in a recorded body (`body: &b { self: *b }`)
  // passes `cline-mock validate` (✓ cassette, 1 interaction) but startMockServer rejects with
  // `RangeError: Maximum call stack size exceeded` from stableStringify (src/util/hash.ts) while
  // indexing fingerprints; `cline-mock serve --cassettes` dies with a stack trace. Should: a
  // FileError naming the cassette file and line.
  it("a self-referencing anchor in a recorded body gives a FileError, not a RangeError", async () => {
    const folder = cassetteDir(
      "cycle",
      "cassette: 1\ninteractions:\n  - recordedAt: x\n    request: { path: /p, fingerprint: f, body: &b { model: a/b, self: *b } }\n    response: { status: 200, body: {} }\n",
    );
    const error = await rejected(startMockServer({ cassettes: folder }));
    expect(error).toBeInstanceOf(FileError);
  });
});

// ---------------------------------------------------------------- in child processes

interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], timeoutMs = 60_000): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

interface LoadResult {
  path: string;
  name?: string;
  file?: string;
  line?: number;
  message?: string;
}

/** Loads each path with the built library in one fresh process: as scenarios, or as a cassettes folder. */
const LOADER = `
const [kind, ...paths] = process.argv.slice(1);
const { createApp, startMockServer } = await import(${JSON.stringify(DIST_INDEX)});
const out = [];
for (const path of paths) {
  try {
    if (kind === "scenarios") createApp({ scenarios: [path] });
    else await (await startMockServer({ cassettes: path })).close();
    out.push({ path });
  } catch (error) {
    out.push({ path, name: error.name, file: error.file, line: error.line, message: error.message });
  }
}
console.log(JSON.stringify(out));
`;

async function loadInChild(kind: "scenarios" | "cassettes", paths: string[]): Promise<ChildResult & { results: LoadResult[] }> {
  const result = await runNode(["--input-type=module", "-e", LOADER, kind, ...paths]);
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  let results: LoadResult[] = [];
  try {
    results = JSON.parse(line) as LoadResult[];
  } catch {
    // The process died before printing: the assertions on status say so.
  }
  return { ...result, results };
}

const flowSeq = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;
const flowMap = (depth: number) => `${"{a: ".repeat(depth)}1${"}".repeat(depth)}`;
const blockSeq = (depth: number) => `${Array.from({ length: depth }, (_, i) => `${" ".repeat(i + 2)}- `).join("\n")}1`;
const blockMap = (depth: number) => `${Array.from({ length: depth }, (_, i) => `${" ".repeat(i + 2)}a:`).join("\n")} 1`;

const DEEP = {
  "flow sequences, 100 000 levels": `name: deep\nreply: { content: hi }\nextra: ${flowSeq(100_000)}\n`,
  "flow mappings, 20 000 levels": `name: deep\nreply: { content: hi }\nextra: ${flowMap(20_000)}\n`,
  "block sequences, 3 000 levels": `name: deep\nreply: { content: hi }\nextra:\n${blockSeq(3000)}\n`,
  "block mappings, 2 000 levels": `name: deep\nreply: { content: hi }\nextra:\n${blockMap(2000)}\n`,
};

describe("deeply nested YAML (loaded in fresh processes)", () => {
  it("each deeply nested scenario or cassette file gives a FileError with file and line, and the process carries on", async () => {
    const jobs = Object.entries(DEEP).flatMap(([name, text]) => {
      const stem = name.replace(/\W+/g, "-");
      const file = scenarioFile(`deep-${stem}`, text);
      const folder = cassetteDir(`deep-${stem}`, text.replace("name: deep\nreply: { content: hi }\n", "cassette: 1\ninteractions: []\n"));
      return [
        { name, kind: "scenarios" as const, path: file },
        { name, kind: "cassettes" as const, path: folder },
      ];
    });
    const results = await Promise.all(jobs.map((job) => loadInChild(job.kind, [job.path])));
    results.forEach((r, i) => {
      const job = jobs[i] as (typeof jobs)[number];
      const what = `${job.kind} ${job.name}: status ${r.status} ${r.signal ?? ""} ${r.stderr.slice(0, 300)}`;
      expect(r.status, what).toBe(0);
      const loaded = r.results[0];
      expect(loaded?.name, what).toBe("FileError");
      expect(loaded?.file, what).toContain("deep-");
      expect(typeof loaded?.line, what).toBe("number");
    });
    // Nesting past the limit is refused before parsing, on the line where it goes too deep.
    const moderate = scenarioFile("moderate", `name: deep\nreply: { content: hi }\nextra: ${flowSeq(300)}\n`);
    const error = caught(() => createApp({ scenarios: [moderate] }));
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).message).toMatch(/moderate\.yaml, line 3: nests deeper than 64 levels/);
  }, 90_000);

  // Regression (fixed): readYaml hands any nesting depth to the yaml library, whose recursion then hits
  // the stack limit. Usually that is a RangeError, caught and reported as a FileError ("Maximum
  // call stack size exceeded"), but when V8 has to compile a regular expression at that depth it
  // aborts the process: "FATAL ERROR: RegExpCompiler Allocation failed - process out of memory",
  // exit 134 (SIGABRT), nothing catchable. It takes a process that parses such text more than
  // once: readYaml on `v: ` + "[" x 3000 + "1" + "]" x 3000, four times, aborts on every run;
  // `cline-mock validate DIR` over eight such files of 1500 levels aborted in 4 runs out of 5.
  // Every loader goes through readYaml (scenario files, cassettes, POST /_mock/scenarios).
  // Should: refuse nesting beyond a limit before parsing (as validate-request's MAX_DEPTH does for
  // JSON bodies), with a FileError each time.
  it("readYaml refuses deep nesting with a FileError every time, and never aborts the process", async () => {
    const script = `
      const { readYaml } = await import(${JSON.stringify(join(ROOT, "dist/util/yaml-file.js"))});
      const text = "v: " + "[".repeat(3000) + "1" + "]".repeat(3000);
      const names = [];
      for (let i = 0; i < 4; i++) {
        try { readYaml(text, "deep.yaml"); names.push("parsed"); } catch (error) { names.push(error.name); }
      }
      console.log(JSON.stringify(names));`;
    const r = await runNode(["--input-type=module", "-e", script]);
    expect(r.signal, r.stderr.slice(0, 200)).toBeNull();
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(["FileError", "FileError", "FileError", "FileError"]);
  }, 60_000);

  describe("POST /_mock/scenarios on a running server", () => {
    let child: ChildProcess;
    let origin: string;
    beforeAll(async () => {
      child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--log", "none", "--latency", "none"], { cwd: ROOT });
      origin = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout?.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /cline-mock listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1] as string);
        });
        child.once("exit", (code) => reject(new Error(`cline-mock exited with ${code} before listening`)));
      });
    });
    afterAll(() => {
      child?.kill("SIGKILL");
    });

    const post = (body: string) =>
      fetch(`${origin}/_mock/scenarios`, { method: "POST", headers: { "content-type": "application/yaml" }, body });

    it("answers every hostile document with a 400 envelope that names the problem, and keeps serving", async () => {
      const documents: Array<[string, string, RegExp]> = [
        ...Object.entries(HOSTILE).map(([name, h]): [string, string, RegExp] => [name, h.scenario, h.message]),
        ["over MAX_YAML_BYTES", `# ${"x".repeat(MAX_YAML_BYTES)}\nname: big\n`, /larger than/],
        ...Object.entries(DEEP).map(([name, text]): [string, string, RegExp] => [name, text, /POST \/_mock\/scenarios, line \d+/]),
      ];
      for (const [name, text, message] of documents) {
        const res = await post(text);
        expect(res.status, name).toBe(400);
        expect(res.headers.get("content-type"), name).toContain("application/json");
        const body = (await res.json()) as { error: { code: number; message: string; metadata: object } };
        expect(body.error.code, name).toBe(400);
        expect(body.error.message, name).toMatch(/^Scenarios not added: POST \/_mock\/scenarios/);
        expect(body.error.message, name).toMatch(message);
        expect(body.error.metadata, name).toEqual({});
      }
      // Nothing was added, and the server still answers.
      const removed = (await (await fetch(`${origin}/_mock/scenarios`, { method: "DELETE" })).json()) as { removed: string[] };
      expect(removed.removed).toEqual([]);
      const res = await fetch(`${origin}/api/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer k", "content-type": "application/json" },
        body: JSON.stringify({ model: "a/b", stream: false, messages: [{ role: "user", content: "hello" }] }),
      });
      expect(res.status).toBe(200);
      expect(child.exitCode).toBeNull();
    }, 60_000);

    // Regression (fixed): the same self-referencing anchor as above: POST /_mock/scenarios answers
    // 500 "Internal error in cline-mock: Maximum call stack size exceeded. This is a bug" instead
    // of a 400 naming the problem.
    it("answers a self-referencing anchor with a 400 envelope, not a 500", async () => {
      const res = await post("name: cycle\nreply:\n  toolCalls:\n    - name: f\n      arguments: &x { self: *x }\n");
      expect(res.status).toBe(400);
    });
  });
});
