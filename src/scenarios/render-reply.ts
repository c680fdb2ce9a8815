/** A scenario's reply rendered for one request: templates filled, tool arguments as JSON text. */
import type { ReasoningDetail, ReplyPlan } from "../stream/reply-plan.js";
import { syntheticAnswer, syntheticReasoning } from "../synthetic/generate.js";
import type { Rng } from "../util/random.js";
import type { Reply } from "./schema.js";
import { render, renderDeep, type TemplateContext } from "./template.js";
import { argumentsFor } from "./tool-arguments.js";

function toolArguments(call: NonNullable<Reply["toolCalls"]>[number], name: string, ctx: TemplateContext): string {
  if (typeof call.arguments === "string") return render(call.arguments, ctx);
  if (call.arguments) return JSON.stringify(renderDeep(call.arguments, ctx));
  const tool = ctx.view.request.tools?.find((t) => t.function.name === name);
  return JSON.stringify(argumentsFor(tool?.function.parameters, ctx.view.lastUserMessage.slice(0, 80)));
}

function details(reply: Reply, ctx: TemplateContext): ReasoningDetail[] | null {
  if (!reply.reasoningDetails) return null;
  return reply.reasoningDetails.map((d, index) => {
    const { type, ...rest } = renderDeep(d, ctx) as typeof d;
    return { ...rest, type: `reasoning.${type}`, index } as ReasoningDetail;
  });
}

export interface Synthesis {
  /** Made only when a reply generates text. */
  rng: () => Rng;
  /** Whether the model reasons (its catalogue entry names a reasoning format). */
  modelReasons: boolean;
}

/** Generated text for `generate:`; text the reply gives itself wins. */
function generated(reply: Reply, ctx: TemplateContext, synth: Synthesis): { content?: string; reasoning?: string } {
  const g = reply.generate;
  if (!g) return {};
  const message = ctx.view.lastUserMessage;
  const rng = synth.rng();
  const out: { content?: string; reasoning?: string } = {};
  if (g.reasoning ?? synth.modelReasons) {
    out.reasoning = syntheticReasoning({ message, tokens: g.reasoningTokens ?? Math.ceil(g.tokens / 2), rng });
  }
  out.content = syntheticAnswer({ message, tokens: g.tokens, rng });
  return out;
}

export function renderReply(reply: Reply, ctx: TemplateContext, synth: Synthesis): ReplyPlan {
  const toolCalls = (reply.toolCalls ?? []).map((call) => {
    const name = render(call.name, ctx);
    return { id: call.id, name, arguments: toolArguments(call, name, ctx) };
  });
  const made = generated(reply, ctx, synth);
  const content = reply.content !== undefined ? render(reply.content, ctx) : made.content;
  const reasoning = reply.reasoning !== undefined ? render(reply.reasoning, ctx) : made.reasoning;
  const hasAnything = content !== undefined || reasoning !== undefined || toolCalls.length > 0;
  return {
    model: reply.model === undefined ? ctx.view.model : render(reply.model, ctx),
    // A reply with nothing in it answers with empty text rather than nothing at all.
    content: content ?? (hasAnything ? null : ""),
    reasoning: reasoning ?? null,
    reasoningDetails: details(reply, ctx),
    toolCalls,
    finishReason: reply.finishReason ?? null,
    usage: reply.usage ?? {},
  };
}
