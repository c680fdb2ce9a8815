/**
 * POST /api/v1/chat/completions: the request is checked and admitted (limits), then the mode
 * table decides who answers: a cassette recording, the upstream, or the scenarios.
 */
import type { ServerResponse } from "node:http";
import { MODES } from "../../cassettes/modes.js";
import { MockError } from "../../contract/errors.js";
import { fingerprint } from "../../contract/fingerprint.js";
import { validateChatRequest } from "../../contract/validate-request.js";
import { chooseFault } from "../../faults/choose.js";
import { latencyFor } from "../../stream/latency.js";
import { promptTokens } from "../../usage/prompt-tokens.js";
import { makeRng } from "../../util/random.js";
import { checkAuth } from "../auth.js";
import { cassetteMiss, rateLimited } from "../chat-errors.js";
import { readControlHeaders } from "../control-headers.js";
import { journalRequest, type RequestRecord } from "../record-request.js";
import { type BodyRequest, sendError } from "../respond.js";
import { answerFromCassette } from "../sources/cassette.js";
import type { ChatContext } from "../sources/context.js";
import { answerFromScenarios } from "../sources/scenario.js";
import { answerFromUpstream } from "../sources/upstream.js";
import type { MockState, Session } from "../state.js";

const DEFAULT_CASSETTE = "default";

/** The n-th time a session sends the same request; faults drawn at a rate differ per attempt. */
function attempt(session: Session, print: string): number {
  const n = session.attempts.get(print) ?? 0;
  if (session.attempts.size >= 10_000 && n === 0) session.attempts.delete(session.attempts.keys().next().value as string);
  session.attempts.set(print, n + 1);
  return n;
}

async function answer(state: MockState, req: BodyRequest, res: ServerResponse, record: RequestRecord): Promise<void> {
  const { options } = state;
  const goesUpstream = options.mode !== "replay";
  // Where requests may be proxied, the upstream key stands in for a client that sends none.
  const mayProxy = goesUpstream || options.onMiss === "proxy";
  if (!(mayProxy && options.upstreamKey && req.headers.authorization === undefined)) checkAuth(req.headers.authorization, options.apiKey);
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

  // The service's own limits come first: a refused request reaches no source.
  if (session.rateLimiter) {
    const decision = session.rateLimiter.take(prompt.total + (request.max_completion_tokens ?? request.max_tokens ?? 0));
    for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
    if (!decision.allowed) throw rateLimited(decision.retryAfter, decision.headers);
  }
  const refusal = session.budget?.refusal();
  if (refusal) throw refusal;

  const seed = control.seed ?? options.seed;
  const print = fingerprint(req.body as Record<string, unknown>);
  record.seed = seed;
  record.fingerprint = print;
  const ctx: ChatContext = {
    state,
    req,
    res,
    record,
    control,
    request,
    stream,
    session,
    prompt,
    seed,
    print,
    latency: (scenario) =>
      latencyFor({ header: control.latency, scenario, server: { preset: options.latency, overrides: options.latencyOverrides } }),
    chooseFault(scenarioFault) {
      const fault = chooseFault({
        header: control.fault,
        scenario: scenarioFault,
        server: options.fault,
        rate: options.faultRate,
        rng: () => makeRng(seed, `${print}/fault/${attempt(session, print)}`),
      });
      if (fault) {
        record.fault = fault.text;
        res.setHeader("x-mock-fault", fault.text);
      }
      return fault;
    },
  };

  // Cassettes are consulted only when there are any, or when this mode records.
  const cassette = control.cassette ?? DEFAULT_CASSETTE;
  if (!goesUpstream && !state.cassettes.has(cassette)) {
    if (control.cassette !== undefined) throw cassetteMiss(state.cassettes, cassette, undefined);
    if (!answerFromScenarios(ctx)) await answerFromUpstream(ctx, { cassette, record: false, redactedBody: undefined, redactedPrint: "" });
    return;
  }
  const redactedBody = state.cassettes.redactBody(req.body);
  const redactedPrint = state.cassettes.fingerprintOf(redactedBody, req.headers);
  const mode = MODES[options.mode];
  const action = state.cassettes.peek(cassette, redactedPrint) ? mode.hit : mode.miss;
  switch (action.source) {
    case "replay": {
      const hit = state.cassettes.find(cassette, redactedPrint, session.cassettePositions);
      if (hit) answerFromCassette(ctx, { name: cassette, ...hit });
      return;
    }
    case "upstream":
      await answerFromUpstream(ctx, { cassette, record: action.record, redactedBody, redactedPrint });
      return;
    case "scenarios":
      // An explicitly named cassette that misses is an error that says why; otherwise scenarios answer.
      if (control.cassette !== undefined) throw cassetteMiss(state.cassettes, cassette, redactedBody);
      if (!answerFromScenarios(ctx)) await answerFromUpstream(ctx, { cassette, record: false, redactedBody, redactedPrint });
  }
}

/** Answers one chat request whose body has been read; user errors become the contract's envelope. */
export function handleChat(state: MockState, req: BodyRequest, res: ServerResponse): Promise<void> {
  const record = journalRequest(state, req, res);
  return answer(state, req, res, record).catch((error: unknown) => {
    if (!(error instanceof MockError)) throw error;
    record.error = error.message;
    sendError(res, error);
  });
}
