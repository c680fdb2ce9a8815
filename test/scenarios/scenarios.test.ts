/**
 * Scenario loading and matching (SPEC.md section 3): inline objects and YAML files, match
 * conditions, templates, sequences, error replies, load errors and warnings, bundled defaults.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Express } from "express";
import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { createApp, type ScenarioInput, startMockServer } from "../../src/index.js";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const CHAT = "/api/v1/chat/completions";
const AUTH = "Bearer test-key";

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder holding the given files. */
function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "cline-mock-scenarios-"));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function appWith(scenarios: ReadonlyArray<string | ScenarioInput>): Express {
  return createApp({ latency: "none", scenarios });
}

interface Message {
  role: string;
  content?: string | null;
  tool_calls?: unknown[];
  tool_call_id?: string;
}

interface Ask {
  model?: string;
  text?: string;
  messages?: Message[];
  tools?: unknown[];
  headers?: Record<string, string>;
}

interface Completion {
  choices: {
    message: {
      content: string | null;
      reasoning?: string;
      tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
    };
    finish_reason: string;
  }[];
}

function send(target: Express, ask: Ask) {
  const payload: Record<string, unknown> = {
    model: ask.model ?? "anthropic/claude-sonnet-4-6",
    messages: ask.messages ?? [{ role: "user", content: ask.text ?? "Hello" }],
    stream: false,
  };
  if (ask.tools) payload.tools = ask.tools;
  return request(target)
    .post(CHAT)
    .set("Authorization", AUTH)
    .set(ask.headers ?? {})
    .send(payload);
}

/** The answer's content, after checking the request succeeded. */
async function contentOf(target: Express, ask: Ask): Promise<string | null> {
  const res = await send(target, ask);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body as Completion).choices[0]?.message.content ?? null;
}

async function messageOf(target: Express, ask: Ask): Promise<Completion["choices"][number]["message"]> {
  const res = await send(target, ask);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body as Completion).choices[0]?.message as Completion["choices"][number]["message"];
}

/** The message of the error createApp throws for these files. */
function loadError(files: Record<string, string>): { message: string; dir: string } {
  const dir = folderWith(files);
  try {
    createApp({ latency: "none", scenarios: dir });
  } catch (error) {
    return { message: (error as Error).message, dir };
  }
  throw new Error("createApp did not throw for a bad scenario file");
}

const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer", minimum: 1 } }, required: ["city"] },
  },
};

const toolTurn = (result: string): Message[] => [
  { role: "user", content: "What is the weather in Paris?" },
  {
    role: "assistant",
    content: null,
    tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
  },
  { role: "tool", tool_call_id: "call_1", content: result },
];

const catchAll: ScenarioInput = { name: "catch-all", reply: { content: "catch-all" } };

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

describe("matching", () => {
  it("matches an exact model id, and only that id", async () => {
    const app = appWith([{ name: "exact", match: { model: "openai/gpt-4o" }, reply: { content: "exact" } }, catchAll]);
    expect(await contentOf(app, { model: "openai/gpt-4o" })).toBe("exact");
    expect(await contentOf(app, { model: "openai/gpt-4o-mini" })).toBe("catch-all");
  });

  it('matches a model glob such as "anthropic/*"', async () => {
    const app = appWith([{ name: "glob", match: { model: "anthropic/*" }, reply: { content: "glob" } }, catchAll]);
    expect(await contentOf(app, { model: "anthropic/claude-haiku-4-5" })).toBe("glob");
    expect(await contentOf(app, { model: "anthropic/claude-sonnet-4-6" })).toBe("glob");
    expect(await contentOf(app, { model: "openai/gpt-4o" })).toBe("catch-all");
  });

  it("matches a model /regex/", async () => {
    const app = appWith([{ name: "regex", match: { model: "/^openai\\/gpt-4o(-mini)?$/" }, reply: { content: "regex" } }, catchAll]);
    expect(await contentOf(app, { model: "openai/gpt-4o" })).toBe("regex");
    expect(await contentOf(app, { model: "openai/gpt-4o-mini" })).toBe("regex");
    expect(await contentOf(app, { model: "openai/gpt-4o-turbo" })).toBe("catch-all");
  });

  it("matches a substring of the last user message", async () => {
    const app = appWith([{ name: "weather", match: { lastUserMessage: "weather" }, reply: { content: "weather" } }, catchAll]);
    expect(await contentOf(app, { text: "How is the weather today?" })).toBe("weather");
    expect(await contentOf(app, { text: "How is the climate today?" })).toBe("catch-all");
  });

  it("matches the last user message, not an earlier one", async () => {
    const app = appWith([{ name: "weather", match: { lastUserMessage: "weather" }, reply: { content: "weather" } }, catchAll]);
    const messages: Message[] = [
      { role: "user", content: "weather first" },
      { role: "assistant", content: "ok" },
      { role: "user", content: "something else" },
    ];
    expect(await contentOf(app, { messages })).toBe("catch-all");
  });

  it("matches a /regex/i on the last user message and fills {{match.1}} in the reply", async () => {
    const app = appWith([
      { name: "city", match: { lastUserMessage: "/weather in (\\w+)/i" }, reply: { content: "City: {{match.1}}" } },
      catchAll,
    ]);
    expect(await contentOf(app, { text: "WEATHER IN Lisbon, please" })).toBe("City: Lisbon");
    expect(await contentOf(app, { text: "weather near Lisbon" })).toBe("catch-all");
  });

  it("matches lastMessageRole", async () => {
    const app = appWith([{ name: "after-tool", match: { lastMessageRole: "tool" }, reply: { content: "after-tool" } }, catchAll]);
    expect(await contentOf(app, { messages: toolTurn("18 C") })).toBe("after-tool");
    expect(await contentOf(app, { text: "hi" })).toBe("catch-all");
  });

  it("matches hasTools true and false", async () => {
    const app = appWith([
      { name: "with-tools", match: { hasTools: true }, reply: { content: "with-tools" } },
      { name: "without-tools", match: { hasTools: false }, reply: { content: "without-tools" } },
    ]);
    expect(await contentOf(app, { tools: [WEATHER_TOOL] })).toBe("with-tools");
    expect(await contentOf(app, {})).toBe("without-tools");
  });

  it("matches request headers", async () => {
    const app = appWith([{ name: "titled", match: { headers: { "x-title": "my-app" } }, reply: { content: "titled" } }, catchAll]);
    expect(await contentOf(app, { headers: { "X-Title": "my-app" } })).toBe("titled");
    expect(await contentOf(app, { headers: { "X-Title": "other-app" } })).toBe("catch-all");
    expect(await contentOf(app, {})).toBe("catch-all");
  });

  it("requires every condition of a match to hold", async () => {
    const app = appWith([
      {
        name: "all",
        match: { model: "anthropic/*", lastUserMessage: "weather", hasTools: true, headers: { "x-title": "my-app" } },
        reply: { content: "all" },
      },
      catchAll,
    ]);
    const full: Ask = { model: "anthropic/claude-haiku-4-5", text: "weather?", tools: [WEATHER_TOOL], headers: { "x-title": "my-app" } };
    expect(await contentOf(app, full)).toBe("all");
    expect(await contentOf(app, { ...full, model: "openai/gpt-4o" })).toBe("catch-all");
    expect(await contentOf(app, { ...full, text: "news?" })).toBe("catch-all");
    expect(await contentOf(app, { ...full, tools: undefined })).toBe("catch-all");
    expect(await contentOf(app, { ...full, headers: {} })).toBe("catch-all");
  });

  it("answers with the first matching scenario in file order", async () => {
    const dir = folderWith({
      "only.yaml": [
        "scenarios:",
        "  - name: first",
        "    match: { lastUserMessage: order }",
        "    reply: { content: first }",
        "  - name: second",
        "    match: { lastUserMessage: order }",
        "    reply: { content: second }",
        "",
      ].join("\n"),
    });
    expect(await contentOf(appWith([dir]), { text: "order please" })).toBe("first");
  });

  it("loads the files of a folder in name order", async () => {
    // Written in reverse name order, so directory order cannot pass for name order.
    const dir = folderWith({
      "20-late.yaml": "name: late\nmatch: { lastUserMessage: order }\nreply: { content: late }\n",
      "10-early.yaml": "name: early\nmatch: { lastUserMessage: order }\nreply: { content: early }\n",
    });
    expect(await contentOf(appWith([dir]), { text: "order please" })).toBe("early");
  });

  it("lets x-mock-scenario choose a scenario whatever its match says", async () => {
    const app = appWith([catchAll, { name: "picked", match: { model: "nobody/uses-this" }, reply: { content: "picked" } }]);
    expect(await contentOf(app, {})).toBe("catch-all");
    expect(await contentOf(app, { headers: { "x-mock-scenario": "picked" } })).toBe("picked");
  });

  it("answers 400 naming an unknown x-mock-scenario", async () => {
    const app = appWith([catchAll]);
    const res = await send(app, { headers: { "x-mock-scenario": "no-such-scenario" } });
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    const error = (res.body as { error: { code: unknown; message: string; metadata: unknown } }).error;
    expect(error.code).toBe(400);
    expect(error.message).toContain("no-such-scenario");
    expect(error.metadata).toBeTypeOf("object");
  });
});

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

describe("templates", () => {
  it("fills {{model}} and {{lastUserMessage}}", async () => {
    const app = appWith([{ name: "t", reply: { content: "model={{model}} said={{lastUserMessage}}" } }]);
    expect(await contentOf(app, { model: "openai/gpt-4o", text: "ping pong" })).toBe("model=openai/gpt-4o said=ping pong");
  });

  it("fills {{request.messages.-1.content}} from the last message, counting from the end", async () => {
    const app = appWith([{ name: "t", reply: { content: "tool said: {{request.messages.-1.content}}" } }]);
    expect(await contentOf(app, { messages: toolTurn("18 C and sunny") })).toBe("tool said: 18 C and sunny");
  });

  it("renders templates inside tool-call argument objects into valid JSON", async () => {
    const app = appWith([
      {
        name: "lookup",
        match: { lastUserMessage: "/find (\\w+)/" },
        reply: {
          toolCalls: [
            {
              name: "lookup",
              arguments: {
                query: "{{lastUserMessage}}",
                model: "{{model}}",
                nested: { word: "{{match.1}}" },
                list: ["{{model}}", 3, true],
              },
            },
          ],
        },
      },
    ]);
    const text = 'find cats, "quoted" and \\ slashed';
    const message = await messageOf(app, { model: "openai/gpt-4o", text });
    const call = message.tool_calls?.[0];
    expect(call?.function.name).toBe("lookup");
    expect(JSON.parse(call?.function.arguments ?? "")).toEqual({
      query: text,
      model: "openai/gpt-4o",
      nested: { word: "cats" },
      list: ["openai/gpt-4o", 3, true],
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Sequences
// ---------------------------------------------------------------------------------------------

describe("sequences", () => {
  const steps: ScenarioInput = {
    name: "steps",
    match: { lastUserMessage: "step" },
    sequence: [{ reply: { content: "step 1" } }, { reply: { content: "step 2" } }, { reply: { content: "step 3" } }],
  };

  it("answers successive matching requests with step 1, 2, 3, then repeats the last", async () => {
    const app = appWith([steps]);
    const seen: (string | null)[] = [];
    for (let i = 0; i < 5; i++) seen.push(await contentOf(app, { text: "next step" }));
    expect(seen).toEqual(["step 1", "step 2", "step 3", "step 3", "step 3"]);
  });

  it("keeps a separate position per x-mock-session", async () => {
    const app = appWith([steps]);
    const as = (session: string) => contentOf(app, { text: "step", headers: { "x-mock-session": session } });
    expect(await as("a")).toBe("step 1");
    expect(await as("a")).toBe("step 2");
    expect(await as("b")).toBe("step 1");
    expect(await as("a")).toBe("step 3");
    expect(await as("b")).toBe("step 2");
  });

  it("restarts after POST /_mock/reset", async () => {
    const app = appWith([steps]);
    expect(await contentOf(app, { text: "step" })).toBe("step 1");
    expect(await contentOf(app, { text: "step" })).toBe("step 2");
    expect((await request(app).post("/_mock/reset")).status).toBe(200);
    expect(await contentOf(app, { text: "step" })).toBe("step 1");
  });
});

// ---------------------------------------------------------------------------------------------
// Error replies and misses
// ---------------------------------------------------------------------------------------------

describe("error replies", () => {
  const app = appWith([
    { name: "rate-limited", match: { lastUserMessage: "429" }, reply: { status: 429 } },
    { name: "broke", match: { lastUserMessage: "402" }, reply: { status: 402 } },
    { name: "down", match: { lastUserMessage: "503" }, reply: { status: 503, error: "custom message" } },
  ]);

  it("answers status 429 with retry-after and the contract envelope", async () => {
    const res = await send(app, { text: "429" });
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toMatch(/^\d+$/);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    const error = (res.body as { error: { code: unknown; message: unknown; metadata: unknown } }).error;
    expect(error.code).toBe(429);
    expect(error.message).toBeTypeOf("string");
    expect(error.metadata).toBeTypeOf("object");
  });

  it("answers status 402 with code insufficient_credits and a numeric current_balance", async () => {
    const res = await send(app, { text: "402" });
    expect(res.status).toBe(402);
    const error = (res.body as { error: { code: unknown; message: unknown; current_balance: unknown } }).error;
    expect(error.code).toBe("insufficient_credits");
    expect(error.current_balance).toBeTypeOf("number");
    expect(error.message).toBeTypeOf("string");
  });

  it("answers status 503 with the scenario's own error message", async () => {
    const res = await send(app, { text: "503" });
    expect(res.status).toBe(503);
    const error = (res.body as { error: { code: unknown; message: unknown } }).error;
    expect(error.code).toBe(503);
    expect(error.message).toBe("custom message");
  });
});

describe("no matching scenario", () => {
  it("answers 404 no_scenario_matched naming the closest scenarios and the condition that failed", async () => {
    const app = appWith([
      { name: "weather", match: { model: "anthropic/*", lastUserMessage: "weather" }, reply: { content: "w" } },
      { name: "greeting", match: { lastUserMessage: "hello" }, reply: { content: "g" } },
    ]);
    const res = await send(app, { model: "anthropic/claude-haiku-4-5", text: "goodbye" });
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    const error = (res.body as { error: { code: unknown; message: string; metadata: { closest: unknown } } }).error;
    expect(error.code).toBe("no_scenario_matched");
    expect(error.message).toContain("weather");
    expect(error.message).toContain("greeting");
    expect(error.message).toContain('lastUserMessage "weather"');
    expect(error.message).toContain('lastUserMessage "hello"');
    expect(Array.isArray(error.metadata.closest)).toBe(true);
    const closest = error.metadata.closest as { name: string; failed: string[] }[];
    expect(closest.map((c) => c.name).sort()).toEqual(["greeting", "weather"]);
    const weather = closest.find((c) => c.name === "weather");
    // The model glob held; only the message condition failed.
    expect(weather?.failed).toHaveLength(1);
    expect(weather?.failed[0]).toContain("lastUserMessage");
  });
});

// ---------------------------------------------------------------------------------------------
// Loading errors and warnings
// ---------------------------------------------------------------------------------------------

describe("loading errors", () => {
  it("names the file, line and field when match.model is a number", () => {
    const { message } = loadError({
      "bad-model.yaml": ["name: bad-model", "match:", "  model: 42", "reply:", "  content: hi", ""].join("\n"),
    });
    expect(message).toContain("bad-model.yaml");
    expect(message).toMatch(/line 3\b/);
    expect(message).toContain("match.model");
  });

  it("names the file, line and key for an unknown match key", () => {
    const { message } = loadError({
      "typo.yaml": [
        "scenarios:",
        "  - name: fine",
        "    reply: { content: ok }",
        "  - name: typo",
        "    match:",
        "      lastUsrMessage: hello",
        "    reply: { content: hi }",
        "",
      ].join("\n"),
    });
    expect(message).toContain("typo.yaml");
    expect(message).toContain("lastUsrMessage");
    expect(message).toContain("scenarios[1].match");
    // The unknown key sits on line 6.
    expect(message).toMatch(/line 6\b/);
  });

  it("names the file, line and field for a bad regular expression", () => {
    const { message } = loadError({
      "bad-regex.yaml": ["name: bad-regex", "match:", '  lastUserMessage: "/([a-z/"', "reply:", "  content: hi", ""].join("\n"),
    });
    expect(message).toContain("bad-regex.yaml");
    expect(message).toMatch(/line 3\b/);
    expect(message).toContain("match.lastUserMessage");
    expect(message).toMatch(/regular expression/i);
  });

  it("names the file, line and field for an unknown template", () => {
    const { message } = loadError({
      "bad-template.yaml": ["name: bad-template", "match: { model: a/b }", "reply:", '  content: "Hello {{nope}}"', ""].join("\n"),
    });
    expect(message).toContain("bad-template.yaml");
    expect(message).toMatch(/line 4\b/);
    expect(message).toContain("reply.content");
    expect(message).toContain("{{nope}}");
  });

  it("names the file and line for invalid YAML syntax", () => {
    const { message } = loadError({
      "broken.yaml": ["name: broken", "reply:", "  content: fine", 'match: { model: "a/b"', ""].join("\n"),
    });
    expect(message).toContain("broken.yaml");
    // The unclosed flow map opens on line 4; the parser notices at the end of the file, line 5.
    expect(message).toMatch(/line [45]\b/);
  });

  it("names the bad file among good ones", () => {
    const { message } = loadError({
      "10-good.yaml": "name: good\nreply: { content: ok }\n",
      "20-bad.yaml": "name: bad\nmatch:\n  hasTools: yes please\nreply: { content: ok }\n",
    });
    expect(message).toContain("20-bad.yaml");
    expect(message).not.toContain("10-good.yaml");
    expect(message).toMatch(/line 3\b/);
    expect(message).toContain("match.hasTools");
  });
});

describe("loading warnings", () => {
  it("warns about a catch-all placed before a specific scenario", async () => {
    const mock = await startMockServer({
      host: "127.0.0.1",
      port: 0,
      scenarios: [
        { name: "everything", reply: { content: "x" } },
        { name: "specific", match: { model: "openai/gpt-4o" }, reply: { content: "y" } },
      ],
    });
    try {
      const warning = mock.warnings.find((w) => w.includes('"specific"'));
      expect(warning).toBeDefined();
      expect(warning).toContain('"everything"');
      expect(warning).toMatch(/never be reached/);
    } finally {
      await mock.close();
    }
  });

  it("does not warn when the catch-all comes last", async () => {
    const mock = await startMockServer({
      host: "127.0.0.1",
      port: 0,
      scenarios: [
        { name: "specific", match: { model: "openai/gpt-4o" }, reply: { content: "y" } },
        { name: "everything", reply: { content: "x" } },
      ],
    });
    try {
      expect(mock.warnings).toEqual([]);
    } finally {
      await mock.close();
    }
  });

  it("warns about two scenarios with the same name", async () => {
    const mock = await startMockServer({
      host: "127.0.0.1",
      port: 0,
      scenarios: [
        { name: "twin", match: { model: "a/b" }, reply: { content: "x" } },
        { name: "twin", match: { model: "c/d" }, reply: { content: "y" } },
      ],
    });
    try {
      expect(mock.warnings.some((w) => w.includes('"twin"') && /same name/.test(w))).toBe(true);
    } finally {
      await mock.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Bundled scenarios
// ---------------------------------------------------------------------------------------------

describe("bundled scenarios", () => {
  const bundled = createApp({ latency: "none" });

  it('answers "hello" with the greeting', async () => {
    const res = await send(bundled, { model: "openai/gpt-4o", text: "hello there" });
    expect(res.status).toBe(200);
    expect(res.headers["x-mock-source"]).toBe("scenario:greeting");
    const content = (res.body as Completion).choices[0]?.message.content ?? "";
    expect(content).toMatch(/^Hello!/);
    expect(content).toContain("openai/gpt-4o");
  });

  it('answers "why ..." with the reasoning demo', async () => {
    const res = await send(bundled, { text: "why is the sky blue?" });
    expect(res.status).toBe(200);
    expect(res.headers["x-mock-source"]).toBe("scenario:reasoning-demo");
    const message = (res.body as Completion).choices[0]?.message;
    expect(message?.reasoning).toMatch(/\S/);
    expect(message?.content).toMatch(/\S/);
  });

  it("answers a request with tools with the tool-call demo", async () => {
    const res = await send(bundled, { text: "book me something", tools: [WEATHER_TOOL] });
    expect(res.status).toBe(200);
    expect(res.headers["x-mock-source"]).toBe("scenario:tool-call-demo");
    const choice = (res.body as Completion).choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe("function");
    expect(call?.function.name).toBe("get_weather");
    const args = JSON.parse(call?.function.arguments ?? "") as Record<string, unknown>;
    expect(args.city).toBeTypeOf("string");
  });

  it("answers a request whose last message is a tool result with the tool-result scenario", async () => {
    const res = await send(bundled, { messages: toolTurn("18 C and sunny"), tools: [WEATHER_TOOL] });
    expect(res.status).toBe(200);
    expect(res.headers["x-mock-source"]).toBe("scenario:tool-result");
    expect((res.body as Completion).choices[0]?.message.content).toContain("18 C and sunny");
  });

  it("answers anything else with the fallback", async () => {
    const res = await send(bundled, { text: "tell me a story" });
    expect(res.status).toBe(200);
    expect(res.headers["x-mock-source"]).toBe("scenario:fallback");
    // The fallback generates readable text about the request's topic.
    const content = (res.body as Completion).choices[0]?.message.content ?? "";
    expect(content).toContain("story");
    expect(content.split(/[.!?] /).length).toBeGreaterThan(2);
  });
});
