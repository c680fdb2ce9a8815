/** A recorded stream folded into the JSON completion a non-streaming client would have got (contract.md 3, 4, 6). */
import type { RecordedEvent } from "./schema.js";

type Json = Record<string, unknown>;

interface ToolCallAcc {
  id?: string;
  type?: string;
  name?: string;
  arguments: string;
}

interface ChoiceAcc {
  content: string;
  refusal: string;
  reasoning: string;
  details: Json[];
  toolCalls: Map<number, ToolCallAcc>;
  finishReason: unknown;
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The data of an SSE event; a raw event is read by the SSE rules (`data:` lines joined by `\n`). */
export function eventData(e: RecordedEvent): string | undefined {
  if ("data" in e) return e.data;
  if ("comment" in e) return undefined;
  const lines: string[] = [];
  for (const line of e.raw.split(/\r\n|\r|\n/)) {
    if (line === "data") lines.push("");
    else if (line.startsWith("data:")) lines.push(line.slice(line.startsWith("data: ") ? 6 : 5));
  }
  return lines.length > 0 ? lines.join("\n") : undefined;
}

function parseChunk(data: string): Json | undefined {
  if (data === "[DONE]") return undefined;
  try {
    const value: unknown = JSON.parse(data);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Merges streamed reasoning details: text and summary fragments of one index become one item. */
function addDetail(details: Json[], item: Json): void {
  const field = item.type === "reasoning.text" ? "text" : item.type === "reasoning.summary" ? "summary" : undefined;
  const at = field === undefined ? -1 : details.findIndex((d) => d.type === item.type && d.index === item.index);
  const prev = details[at];
  if (field === undefined || prev === undefined) {
    details.push({ ...item });
    return;
  }
  const merged: Json = { ...prev };
  for (const [key, value] of Object.entries(item)) {
    if (key === field) merged[key] = `${typeof prev[key] === "string" ? prev[key] : ""}${typeof value === "string" ? value : ""}`;
    else if (value !== undefined && value !== null) merged[key] = value;
  }
  details[at] = merged;
}

function addToolCall(calls: Map<number, ToolCallAcc>, item: Json, position: number): void {
  const index = typeof item.index === "number" ? item.index : position;
  const fn = isObject(item.function) ? item.function : {};
  let call = calls.get(index);
  if (!call) {
    call = { arguments: "" };
    calls.set(index, call);
  }
  if (call.id === undefined && typeof item.id === "string") call.id = item.id;
  if (call.type === undefined && typeof item.type === "string") call.type = item.type;
  if (call.name === undefined && typeof fn.name === "string") call.name = fn.name;
  if (typeof fn.arguments === "string") call.arguments += fn.arguments;
}

function addDelta(acc: ChoiceAcc, delta: Json): void {
  if (typeof delta.content === "string") acc.content += delta.content;
  if (typeof delta.refusal === "string") acc.refusal += delta.refusal;
  if (typeof delta.reasoning === "string") acc.reasoning += delta.reasoning;
  if (Array.isArray(delta.reasoning_details)) {
    for (const item of delta.reasoning_details) if (isObject(item)) addDetail(acc.details, item);
  }
  if (Array.isArray(delta.tool_calls)) {
    delta.tool_calls.forEach((item: unknown, position) => {
      if (isObject(item)) addToolCall(acc.toolCalls, item, position);
    });
  }
}

function choiceAcc(choices: Map<number, ChoiceAcc>, index: number): ChoiceAcc {
  let acc = choices.get(index);
  if (!acc) {
    acc = { content: "", refusal: "", reasoning: "", details: [], toolCalls: new Map(), finishReason: null };
    choices.set(index, acc);
  }
  return acc;
}

function choiceBody(index: number, acc: ChoiceAcc): Json {
  const message: Json = {
    role: "assistant",
    content: acc.content === "" ? null : acc.content,
    refusal: acc.refusal === "" ? null : acc.refusal,
  };
  if (acc.reasoning !== "") message.reasoning = acc.reasoning;
  if (acc.details.length > 0) message.reasoning_details = acc.details;
  if (acc.toolCalls.size > 0) {
    message.tool_calls = [...acc.toolCalls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, t]) => ({
        ...(t.id === undefined ? {} : { id: t.id }),
        type: t.type ?? "function",
        function: { name: t.name ?? "", arguments: t.arguments },
      }));
  }
  return { index, message, logprobs: null, finish_reason: acc.finishReason };
}

export function aggregateStream(events: readonly RecordedEvent[]): Record<string, unknown> | undefined {
  const head: Json = {};
  const choices = new Map<number, ChoiceAcc>();
  let usage: unknown;
  let failed = false;
  let seen = false;
  for (const e of events) {
    const data = eventData(e);
    const chunk = data === undefined ? undefined : parseChunk(data);
    if (!chunk) continue;
    seen = true;
    for (const key of ["id", "created", "model", "system_fingerprint"]) {
      if (head[key] === undefined && chunk[key] !== undefined && chunk[key] !== null) head[key] = chunk[key];
    }
    if (chunk.usage !== undefined && chunk.usage !== null) usage = chunk.usage;
    if (chunk.error !== undefined && chunk.error !== null) failed = true;
    if (!Array.isArray(chunk.choices)) continue;
    chunk.choices.forEach((choice: unknown, position) => {
      if (!isObject(choice)) return;
      const acc = choiceAcc(choices, typeof choice.index === "number" ? choice.index : position);
      if (isObject(choice.delta)) addDelta(acc, choice.delta);
      if (choice.finish_reason !== undefined && choice.finish_reason !== null) acc.finishReason = choice.finish_reason;
    });
  }
  if (!seen) return undefined;
  const first = choiceAcc(choices, 0);
  if (failed) first.finishReason = "error";
  const body: Json = { id: head.id, object: "chat.completion", created: head.created, model: head.model };
  if (head.system_fingerprint !== undefined) body.system_fingerprint = head.system_fingerprint;
  body.choices = [...choices.entries()].sort(([a], [b]) => a - b).map(([index, acc]) => choiceBody(index, acc));
  if (usage !== undefined) body.usage = usage;
  return body;
}
