/**
 * POST /api/v1/chat/completions: the request is checked, a scenario chosen, limits and faults
 * decided, the completion built once, and sent as a stream or as JSON.
 */
import type { ServerResponse } from "node:http";
import { MockError } from "../../contract/errors.js";
import { fingerprint } from "../../contract/fingerprint.js";
import { validateChatRequest } from "../../contract/validate-request.js";
import { chunkFramer, completionBody } from "../../contract/wire.js";
import { applyFaults } from "../../faults/apply.js";
import { chooseFault } from "../../faults/choose.js";
import type { Fault, FaultSpec } from "../../faults/fault-spec.js";
import { jsonOutcome } from "../../faults/json-outcome.js";
import type { Step } from "../../scenarios/compile.js";
import { renderReply } from "../../scenarios/render-reply.js";
import { viewRequest } from "../../scenarios/request-view.js";
import { selectScenario } from "../../scenarios/select.js";
import { buildCompletion } from "../../stream/completion.js";
import { streamDeltas } from "../../stream/deltas.js";
import { latencyFor } from "../../stream/latency.js";
import { schedule } from "../../stream/schedule.js";
import { promptTokens } from "../../usage/prompt-tokens.js";
import { makeRng } from "../../util/random.js";
import { answerJson } from "../answer-json.js";
import { checkAuth } from "../auth.js";
import { faultError, noMatch, rateLimited, replyError, unknownScenario } from "../chat-errors.js";
import { readControlHeaders } from "../control-headers.js";
import { journalRequest, type RequestRecord } from "../record-request.js";
import { type BodyRequest, sendError } from "../respond.js";
import { writeStream } from "../sse-writer.js";
import type { MockState, Session } from "../state.js";

const FALLBACK: Step = { reply: { generate: { tokens: 80 } }, stream: undefined, chunk: undefined, fault: undefined };

/** The n-th time a session sends the same request; faults drawn at a rate differ per attempt. */
function attempt(session: Session, print: string): number {
  const n = session.attempts.get(print) ?? 0;
  if (session.attempts.size >= 10_000 && n === 0) session.attempts.delete(session.attempts.keys().next().value as string);
  session.attempts.set(print, n + 1);
  return n;
}

function answer(state: MockState, req: BodyRequest, res: ServerResponse, record: RequestRecord): void {
  const { options } = state;
  checkAuth(req.headers.authorization, options.apiKey);
  const control = readControlHeaders(req.headers);
  record.session = control.session;
  const validated = validateChatRequest(req.body);
  if (!validated.ok) throw validated.error;
  const request = validated.request;
  const stream = request.stream ?? options.streamDefault;
  record.model = request.model;
  record.stream = stream;
  const session = state.sessions.get(control.session);
  const prompt = promptTokens(request);

  // The service's own limits come first: a refused request never reaches a scenario.
  if (session.rateLimiter) {
    const decision = session.rateLimiter.take(prompt.total + (request.max_completion_tokens ?? request.max_tokens ?? 0));
    for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
    if (!decision.allowed) throw rateLimited(decision.retryAfter, decision.headers);
  }
  const refusal = session.budget?.refusal();
  if (refusal) throw refusal;

  const view = viewRequest(request, stream, req.headers);
  const scenarios = state.scenarios();
  if (control.scenario !== undefined && !scenarios.some((s) => s.name === control.scenario))
    throw unknownScenario(control.scenario, scenarios);
  const selection = selectScenario({ scenarios, view, positions: session.positions, forced: control.scenario });
  if (!selection && options.onMiss === "error") throw noMatch(scenarios, view);
  const step = selection?.step ?? FALLBACK;
  record.source = selection ? `scenario:${selection.scenario.name}` : "fallback";
  res.setHeader("x-mock-source", record.source);

  const seed = control.seed ?? options.seed;
  const print = fingerprint(req.body as Record<string, unknown>);
  record.seed = seed;
  record.fingerprint = print;
  const model = state.catalogue.get(request.model);
  const fault: FaultSpec | undefined = chooseFault({
    header: control.fault,
    scenario: step.fault,
    server: options.fault,
    rate: options.faultRate,
    rng: () => makeRng(seed, `${print}/fault/${attempt(session, print)}`),
  });
  const faults: readonly Fault[] = fault?.faults ?? [];
  if (fault) {
    record.fault = fault.text;
    res.setHeader("x-mock-fault", fault.text);
  }
  const http = faults.find((f): f is Extract<Fault, { kind: "http" }> => f.kind === "http");
  if (http) throw faultError(http, prompt.total, model);
  if (step.reply.status !== undefined || step.reply.error !== undefined) throw replyError(step.reply);

  // Generated text has its own generator, so ids stay the same whatever a reply generates.
  const synth = { rng: makeRng(seed, `${print}/text`), modelReasons: model?.reasoning !== undefined };
  const plan = renderReply(step.reply, { view, captures: selection?.captures ?? {} }, synth);
  const cachedTokens = options.promptCache ? session.promptCache.lookupAndStore(request, prompt.prefix) : 0;
  const rng = makeRng(seed, print);
  const completion = buildCompletion({ plan, request, promptTokens: prompt.total, cachedTokens, model, rng });
  session.budget?.charge(completion.usage.cost);
  res.setHeader("x-request-id", `req_${rng.id(24)}`);
  res.setHeader("x-generation-id", completion.id);

  const latency = latencyFor({
    header: control.latency,
    scenario: step.stream,
    server: { preset: options.latency, overrides: options.latencyOverrides },
  });
  const framer = chunkFramer(completion);
  const deltas = streamDeltas(completion, step.chunk ?? options.chunk, rng);
  const events = schedule({ deltas, frame: framer.frame, finish: framer.finish, latency, rng });

  if (stream) {
    writeStream(res, applyFaults({ headersAt: 0, events }, faults, framer));
    return;
  }
  // A JSON answer arrives when the whole stream would have finished.
  answerJson(res, { body: completionBody(completion), afterMs: events.at(-1)?.at ?? 0, outcome: jsonOutcome(faults) });
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
