/** POST /api/v1/chat/completions: request in, scenario chosen, completion built, JSON or SSE out. */
import type { ServerResponse } from "node:http";
import { MockError } from "../../contract/errors.js";
import { fingerprint } from "../../contract/fingerprint.js";
import { httpError } from "../../contract/http-errors.js";
import type { ChatRequest } from "../../contract/request-schema.js";
import { validateChatRequest } from "../../contract/validate-request.js";
import { chunkFramer, completionBody } from "../../contract/wire.js";
import type { Step } from "../../scenarios/compile.js";
import { renderReply } from "../../scenarios/render-reply.js";
import { viewRequest } from "../../scenarios/request-view.js";
import type { Reply } from "../../scenarios/schema.js";
import { nearestScenarios, selectScenario } from "../../scenarios/select.js";
import { parseChunkSpec } from "../../stream/chunk-spec.js";
import { buildCompletion } from "../../stream/completion.js";
import { streamDeltas } from "../../stream/deltas.js";
import { latencyFor } from "../../stream/latency.js";
import { schedule } from "../../stream/schedule.js";
import { promptTokens } from "../../usage/prompt-tokens.js";
import { makeRng } from "../../util/random.js";
import { checkAuth } from "../auth.js";
import { readControlHeaders } from "../control-headers.js";
import { journalRequest, type RequestRecord } from "../record-request.js";
import { type BodyRequest, STREAM_HEADERS, sendError, sendJson } from "../respond.js";
import { writeEvents } from "../sse-writer.js";
import type { MockState } from "../state.js";

const FALLBACK: Step = { reply: { generate: { tokens: 80 } }, stream: undefined };

function replyError(reply: Reply): MockError {
  const status = reply.status ?? 500;
  const error = typeof reply.error === "string" ? { message: reply.error } : (reply.error ?? {});
  return httpError(status, error);
}

function noMatch(state: MockState, request: ChatRequest, view: ReturnType<typeof viewRequest>): MockError {
  const nearest = nearestScenarios(state.scenarios(), view);
  const described = nearest.map((n) => `"${n.name}" (${n.failed.join("; ") || "matches, but was not reached"})`).join(", ");
  return new MockError({
    status: 404,
    code: "no_scenario_matched",
    message: `No scenario matched this request for model "${request.model}". ${
      nearest.length > 0 ? `Closest: ${described}.` : "No scenarios are loaded."
    } Add a scenario that matches, name one with the x-mock-scenario header, or start with --on-miss fallback.`,
    metadata: { closest: nearest },
  });
}

function answer(state: MockState, req: BodyRequest, res: ServerResponse, record: RequestRecord): void {
  checkAuth(req.headers.authorization, state.options.apiKey);
  const control = readControlHeaders(req.headers);
  record.session = control.session;
  const validated = validateChatRequest(req.body);
  if (!validated.ok) throw validated.error;
  const request = validated.request;
  const stream = request.stream ?? state.options.streamDefault;
  record.model = request.model;
  record.stream = stream;

  const view = viewRequest(request, stream, req.headers);
  const scenarios = state.scenarios();
  if (control.scenario !== undefined && !scenarios.some((s) => s.name === control.scenario)) {
    throw new MockError({
      status: 400,
      type: "invalid_request_error",
      param: "x-mock-scenario",
      message: `The x-mock-scenario header names "${control.scenario}", but no scenario has that name. Known: ${scenarios.map((s) => s.name).join(", ")}.`,
    });
  }
  const session = state.sessions.get(control.session);
  const selection = selectScenario({ scenarios, view, positions: session.positions, forced: control.scenario });
  if (!selection && state.options.onMiss === "error") throw noMatch(state, request, view);
  const step = selection?.step ?? FALLBACK;
  record.source = selection ? `scenario:${selection.scenario.name}` : "fallback";
  res.setHeader("x-mock-source", record.source);
  if (step.reply.status !== undefined || step.reply.error !== undefined) throw replyError(step.reply);

  const seed = control.seed ?? state.options.seed;
  const print = fingerprint(req.body as Record<string, unknown>);
  record.seed = seed;
  record.fingerprint = print;
  const model = state.catalogue.get(request.model);
  // Generated text has its own generator, so ids stay the same whatever a reply generates.
  const synth = { rng: makeRng(seed, `${print}/text`), modelReasons: model?.reasoning !== undefined };
  const plan = renderReply(step.reply, { view, captures: selection?.captures ?? {} }, synth);
  const prompt = promptTokens(request);
  const cachedTokens = state.options.promptCache ? session.promptCache.lookupAndStore(request, prompt.prefix) : 0;
  const rng = makeRng(seed, print);
  const completion = buildCompletion({ plan, request, promptTokens: prompt.total, cachedTokens, model, rng });
  res.setHeader("x-request-id", `req_${rng.id(24)}`);
  res.setHeader("x-generation-id", completion.id);

  const settings = step.stream;
  const latency = latencyFor({
    header: control.latency,
    scenario: settings,
    server: { preset: state.options.latency, overrides: state.options.latencyOverrides },
  });
  const spec = settings?.chunk
    ? (parseChunkSpec(settings.chunk) as Exclude<ReturnType<typeof parseChunkSpec>, string>)
    : state.options.chunk;
  const framer = chunkFramer(completion);
  const events = schedule({ deltas: streamDeltas(completion, spec, rng), frame: framer.frame, finish: framer.finish, latency, rng });

  if (stream) {
    res.writeHead(200, STREAM_HEADERS);
    // Headers go out at once when the first event waits; otherwise they travel with it.
    if ((events[0]?.at ?? 0) > 0) res.flushHeaders();
    writeEvents(res, events);
    return;
  }
  // A JSON answer arrives when the whole stream would have finished.
  const body = completionBody(completion);
  const delay = events[events.length - 1]?.at ?? 0;
  if (delay <= 0) {
    sendJson(res, 200, body);
    return;
  }
  const timer = setTimeout(() => sendJson(res, 200, body), delay);
  res.once("close", () => clearTimeout(timer));
}

/** Answers one chat request whose body has been read; user errors become the contract's envelope. */
export function handleChat(state: MockState, req: BodyRequest, res: ServerResponse): void {
  const record = journalRequest(state, req, res);
  try {
    answer(state, req, res, record);
  } catch (error) {
    if (!(error instanceof MockError)) throw error;
    record.error = error.message;
    sendError(res, error);
  }
}
