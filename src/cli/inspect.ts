/** `cline-mock inspect CASSETTE`: one row per interaction, as a table. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { aggregateStream } from "../cassettes/aggregate.js";
import { cassetteSchema, type Interaction } from "../cassettes/schema.js";
import { messageText } from "../scenarios/request-view.js";
import { checkYaml, FileError, readYamlFile } from "../util/yaml-file.js";

interface Row {
  n: string;
  model: string;
  prompt: string;
  status: string;
  chunks: string;
  ttft: string;
  total: string;
  tokens: string;
  cost: string;
}

const HEADINGS: Row = {
  n: "#",
  model: "model",
  prompt: "last user message",
  status: "status",
  chunks: "chunks",
  ttft: "first token",
  total: "total",
  tokens: "tokens in/out",
  cost: "cost $",
};

function lastUserWords(body: unknown): string {
  const messages = (body as { messages?: Array<{ role?: string; content?: unknown }> } | undefined)?.messages ?? [];
  const last = [...messages].reverse().find((m) => m.role === "user");
  const text = messageText(last?.content).replace(/\s+/g, " ").trim();
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function rowOf(interaction: Interaction, index: number): Row {
  const { request, response } = interaction;
  const events = response.events ?? [];
  const data = events.filter((e) => "data" in e && e.data !== "[DONE]");
  const firstToken = data.find((e) => "data" in e && /"(content|reasoning|arguments)":"[^"]/.test(e.data));
  const completion = (response.events ? aggregateStream(events) : response.body) as
    | { usage?: Record<string, unknown>; model?: string }
    | undefined;
  const usage = completion?.usage;
  const model = (request.body as { model?: string } | undefined)?.model ?? completion?.model ?? "?";
  return {
    n: String(index),
    model,
    prompt: lastUserWords(request.body),
    status: `${response.status}${response.broken ? " broken" : ""}`,
    chunks: response.events ? String(data.length) : "json",
    ttft: firstToken ? `${firstToken.ms} ms` : "-",
    total: events.length > 0 ? `${events.at(-1)?.ms ?? 0} ms` : "-",
    tokens: usage ? `${usage.prompt_tokens ?? "?"}/${usage.completion_tokens ?? "?"}` : "-",
    cost: typeof usage?.cost === "number" ? usage.cost.toFixed(6) : "-",
  };
}

function table(rows: Row[]): string {
  const keys = Object.keys(HEADINGS) as Array<keyof Row>;
  const all = [HEADINGS, ...rows];
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r: Row) =>
    keys
      .map((k, i) => r[k].padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(HEADINGS), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** A cassette file path, or a name inside the cassettes folder. */
export function inspect(params: { cassette: string; dir: string }): string {
  const candidates = [params.cassette, join(params.dir, params.cassette), join(params.dir, `${params.cassette}.yaml`)];
  const file = candidates.find((c) => existsSync(c) && c.endsWith(".yaml"));
  if (!file) throw new FileError(params.cassette, undefined, undefined, `is not a cassette file, nor a cassette in ${params.dir}/`);
  const cassette = checkYaml(readYamlFile(file), cassetteSchema);
  const rows = cassette.interactions.map(rowOf);
  const streamed = cassette.interactions.filter((i) => i.response.events).length;
  return `${file}: ${rows.length} interaction${rows.length === 1 ? "" : "s"} (${streamed} streamed, ${rows.length - streamed} JSON)\n\n${table(rows)}\n`;
}
