/** Answers from the scenarios: the first that matches (or the one x-mock-scenario names). */
import type { Fault } from "../../faults/fault-spec.js";
import type { Step } from "../../scenarios/compile.js";
import { renderReply } from "../../scenarios/render-reply.js";
import { viewRequest } from "../../scenarios/request-view.js";
import { selectScenario } from "../../scenarios/select.js";
import { buildCompletion } from "../../stream/completion.js";
import { makeRng } from "../../util/random.js";
import { faultError, noMatch, replyError, unknownScenario } from "../chat-errors.js";
import { sendCompletion } from "../send-completion.js";
import type { ChatContext } from "./context.js";

const FALLBACK: Step = { reply: { generate: { tokens: 80 } }, stream: undefined, chunk: undefined, fault: undefined };

/** Answers from a scenario; returns false when none matched and --on-miss proxy sends the request upstream. */
export function answerFromScenarios(ctx: ChatContext): boolean {
  const { state, control, request, session, res, record } = ctx;
  const view = viewRequest(request, ctx.stream, ctx.req.headers);
  const scenarios = state.scenarios();
  if (control.scenario !== undefined && !scenarios.some((s) => s.name === control.scenario))
    throw unknownScenario(control.scenario, scenarios);
  const selection = selectScenario({ scenarios, view, positions: session.positions, forced: control.scenario });
  if (!selection && state.options.onMiss === "error") throw noMatch(scenarios, view);
  if (!selection && state.options.onMiss === "proxy") return false;
  const step = selection?.step ?? FALLBACK;
  record.source = selection ? `scenario:${selection.scenario.name}` : "fallback";
  res.setHeader("x-mock-source", record.source);

  const model = state.catalogue.get(request.model);
  const faults: readonly Fault[] = ctx.chooseFault(step.fault)?.faults ?? [];
  const refused = faultError(faults, ctx.prompt.total, model);
  if (refused) throw refused;
  if (step.reply.status !== undefined || step.reply.error !== undefined) throw replyError(step.reply);

  // Generated text has its own generator, so ids stay the same whatever a reply generates.
  const synth = { rng: () => makeRng(ctx.seed, `${ctx.print}/text`), modelReasons: model?.reasoning !== undefined };
  const plan = renderReply(step.reply, { view, captures: selection?.captures ?? {} }, synth);
  const cachedTokens = state.options.promptCache ? session.promptCache.lookupAndStore(request, ctx.prompt.prefix) : 0;
  const rng = makeRng(ctx.seed, ctx.print);
  const completion = buildCompletion({ plan, request, promptTokens: ctx.prompt.total, cachedTokens, model, rng });
  session.budget?.charge(completion.usage.cost);
  record.usage = {
    promptTokens: completion.usage.prompt_tokens,
    completionTokens: completion.usage.completion_tokens,
    cost: completion.usage.cost,
  };
  res.setHeader("x-request-id", `req_${rng.id(24)}`);
  res.setHeader("x-generation-id", completion.id);
  sendCompletion(ctx, { completion, faults, rng, stream: step.stream, chunk: step.chunk });
  return true;
}
