import type { ReplyPlan } from "../../src/stream/reply-plan.js";

/** A reply plan with nothing in it but what the test gives. */
export const replyPlan = (over: Partial<ReplyPlan> & { model?: string }): ReplyPlan => ({
  model: "anthropic/claude-sonnet-4-6",
  content: null,
  reasoning: null,
  reasoningDetails: null,
  toolCalls: [],
  finishReason: null,
  usage: {},
  ...over,
});
