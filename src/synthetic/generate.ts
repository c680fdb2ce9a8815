/**
 * Deterministic, readable filler answers: sentences built from templates, with topic words taken
 * from the user's message, until the text reaches a token target. Same rng, same text.
 */
import { countTokens } from "../usage/tokens.js";
import type { Rng } from "../util/random.js";

const OPENERS = [
  "Good question about {topic}.",
  "Here is a short answer on {topic}.",
  "Let me walk through {topic} step by step.",
  "There are a few things to keep in mind about {topic}.",
];

const SENTENCES = [
  "The simplest approach is to start small, measure the result, and only then add {thing}.",
  "In practice, {topic} depends on {thing} more than on anything else.",
  "A common mistake is to skip {thing}; it tends to cost more time later.",
  "If you need {thing}, keep it in one place so it is easy to change.",
  "Most teams find that {thing} works best when it is tested early.",
  "You can check this quickly: write a small example, run it, and compare the output with what you expect.",
  "The trade-off is between speed and {thing}, and the right balance depends on your constraints.",
  "For {topic}, a clear naming scheme and small functions go a long way.",
  "When something fails, read the first error message carefully; it usually names {thing}.",
  "Keep {thing} out of the hot path unless you have measured that it matters.",
  "Documentation helps here: one example of {topic} is worth a page of description.",
  "Finally, revisit {thing} once the rest is stable, since requirements tend to shift.",
];

const REASONING = [
  "The user is asking about {topic}.",
  "I should consider what {thing} means in this context.",
  "There are a couple of ways to approach this; let me compare them.",
  "The first option is simpler, but it may not handle {thing} well.",
  "The second option handles {thing}, at the cost of some complexity.",
  "Given the question, a short, practical answer with an example is best.",
  "I will mention {topic} explicitly so the answer stays focused.",
];

const THINGS = [
  "error handling",
  "caching",
  "clear interfaces",
  "good defaults",
  "logging",
  "input validation",
  "tests",
  "retries",
  "configuration",
  "streaming",
];

const STOPWORDS = new Set([
  "about",
  "there",
  "these",
  "those",
  "which",
  "would",
  "could",
  "should",
  "their",
  "where",
  "what",
  "when",
  "with",
  "your",
  "from",
  "that",
  "this",
  "have",
  "please",
  "tell",
]);

/** The user's longest words (up to three) name the topic; "this" when there are none. */
export function topicOf(message: string): string {
  const words = message.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]{3,}/gu) ?? [];
  const picked = [...new Set(words.filter((w) => !STOPWORDS.has(w)))].sort((a, b) => b.length - a.length).slice(0, 3);
  return picked.length === 0 ? "this" : picked.join(" and ").replace(/ and (?=.* and )/, ", ");
}

function pick<T>(list: readonly T[], rng: Rng): T {
  return list[rng.int(0, list.length - 1)] as T;
}

function shuffled(list: readonly string[], rng: Rng): string[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j] as string, out[i] as string];
  }
  return out;
}

function fill(template: string, topic: string, rng: Rng): string {
  return template.replace("{topic}", topic).replace("{thing}", pick(THINGS, rng));
}

function build(params: { first: string[]; pool: readonly string[]; topic: string; tokens: number; rng: Rng }): string {
  const { first, pool, topic, tokens, rng } = params;
  const parts: string[] = [];
  let count = 0;
  // Sentences after the first are counted with the space that joins them, as they will be tokenised.
  const add = (s: string) => {
    count += countTokens(parts.length === 0 ? s : ` ${s}`);
    parts.push(s);
  };
  for (const template of first) add(fill(template, topic, rng));
  // The pool is drawn without replacement, reshuffled when used up, so sentences rarely repeat.
  let deck: string[] = [];
  while (count < tokens) {
    if (deck.length === 0) deck = shuffled(pool, rng);
    add(fill(deck.pop() as string, topic, rng));
  }
  return parts.join(" ");
}

export function syntheticAnswer(params: { message: string; tokens: number; rng: Rng }): string {
  const topic = topicOf(params.message);
  return build({ first: [pick(OPENERS, params.rng)], pool: SENTENCES, topic, tokens: params.tokens, rng: params.rng });
}

export function syntheticReasoning(params: { message: string; tokens: number; rng: Rng }): string {
  const topic = topicOf(params.message);
  return build({ first: [REASONING[0] as string], pool: REASONING.slice(1), topic, tokens: params.tokens, rng: params.rng });
}
