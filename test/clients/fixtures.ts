/** What the real-client test files share: the model, the answers their scenarios give, and small helpers. */
export const MODEL = "anthropic/claude-sonnet-4-6";
export const bundledScenarios = new URL("../../scenarios", import.meta.url).pathname;

export const PLAIN = "The capital of France is Paris. It sits on the Seine and has about two million inhabitants.";
export const REASONING = "First I recall the facts about France, then I check them against each other before I answer.";
export const REASONED = "Paris is the capital of France.";

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
