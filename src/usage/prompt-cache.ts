/**
 * Simulated provider prompt caching: a request whose message prefix (tools first, then messages in
 * order) was already sent for the same model reports that prefix's tokens as cached.
 */
import { createHash } from "node:crypto";
import type { ChatRequest } from "../contract/request-schema.js";
import { stableStringify } from "../util/hash.js";

// Prefixes remembered per session; the oldest are forgotten first.
const LIMIT = 20_000;

export class PromptCache {
  private readonly seen = new Set<string>();

  /**
   * Returns how many of the prompt's tokens hit the cache and remembers this prompt's prefixes.
   * `prefixTokens[i]` is the prompt tokens of messages 0..i.
   */
  lookupAndStore(request: ChatRequest, prefixTokens: readonly number[]): number {
    const hash = createHash("sha256")
      .update(request.model)
      .update(stableStringify(request.tools ?? null));
    const keys: string[] = [];
    for (const message of request.messages) {
      hash.update(stableStringify(message));
      keys.push(hash.copy().digest("base64"));
    }
    let cached = 0;
    for (let i = keys.length - 1; i >= 0; i--) {
      if (this.seen.has(keys[i] as string)) {
        cached = prefixTokens[i] ?? 0;
        break;
      }
    }
    for (const key of keys) {
      this.seen.delete(key);
      this.seen.add(key);
    }
    while (this.seen.size > LIMIT) this.seen.delete(this.seen.values().next().value as string);
    return cached;
  }
}
