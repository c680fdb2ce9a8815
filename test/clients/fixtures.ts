import type { ScenarioInput } from "../../src/index.js";

/** What the real-client test files share: the model, the answers their scenarios give, and small helpers. */
export const MODEL = "anthropic/claude-sonnet-4-6";
export const bundledScenarios = new URL("../../scenarios", import.meta.url).pathname;

export const PLAIN = "The capital of France is Paris. It sits on the Seine and has about two million inhabitants.";
export const REASONING = "First I recall the facts about France, then I check them against each other before I answer.";
export const REASONED = "Paris is the capital of France.";

/** 40+ tokens, so token:2 chunking gives 20+ chunks for the chaos suites to break between. */
export const CHAOS_CONTENT =
  "Café au lait: the quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun " +
  "while the birds sing songs about spring, rain, rivers and the long road home through the hills.";
export const RECOVERED = "Third time lucky: the service is back.";

/** The chaos suites' scenarios: a run of 503s that recovers, and a long answer for faults to cut. */
export const chaosScenarios: ScenarioInput[] = [
  {
    name: "flaky-503",
    match: { lastUserMessage: "case:flaky-503" },
    sequence: [{ fault: "http:503" }, { fault: "http:503" }, { reply: { content: RECOVERED } }],
  },
  { name: "chaos", reply: { content: CHAOS_CONTENT }, stream: { chunk: "token:2" } },
];

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
