/**
 * A stateful rate limiter (`--rate-limit rpm=N,tpm=N`): requests and tokens over a sliding
 * minute. Over the limit, the answer is a 429 whose retry-after says when enough of the window
 * will have passed; every answer carries OpenAI-style x-ratelimit-* headers.
 */
export interface RateLimitSpec {
  rpm?: number | undefined;
  tpm?: number | undefined;
}

const WINDOW_MS = 60_000;

export function parseRateLimit(text: string): RateLimitSpec | string {
  const spec: RateLimitSpec = {};
  for (const part of text.split(",").map((p) => p.trim())) {
    const m = /^(rpm|tpm)=(\d+)$/.exec(part);
    if (!m) return `"${part}" is not a limit; write rpm=N, tpm=N or both, e.g. rpm=60,tpm=100000`;
    const n = Number(m[2]);
    if (n < 1) return `${m[1]} must be at least 1`;
    spec[m[1] as "rpm" | "tpm"] = n;
  }
  return spec;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until the request would be allowed (0 when allowed). */
  retryAfter: number;
  headers: Record<string, string>;
}

const seconds = (ms: number) => `${Math.max(0, Math.ceil(ms / 100) / 10)}s`;

export class RateLimiter {
  private readonly entries: Array<{ at: number; tokens: number }> = [];

  constructor(
    private readonly spec: RateLimitSpec,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Decides on a request of `tokens` tokens and, when it is allowed, counts it. */
  take(tokens: number): RateDecision {
    const now = this.now();
    while (this.entries.length > 0 && (this.entries[0]?.at ?? 0) <= now - WINDOW_MS) this.entries.shift();
    const used = this.entries.reduce((n, e) => n + e.tokens, 0);
    const expiry = (i: number) => (this.entries[i]?.at ?? now) + WINDOW_MS - now;

    let waitRequests = 0;
    if (this.spec.rpm !== undefined && this.entries.length >= this.spec.rpm) waitRequests = expiry(this.entries.length - this.spec.rpm);
    let waitTokens = 0;
    if (this.spec.tpm !== undefined && used + tokens > this.spec.tpm) {
      // Wait until the oldest entries free enough tokens; a request larger than the whole limit
      // waits for the whole window.
      let freed = 0;
      let i = 0;
      while (i < this.entries.length && used - freed + tokens > this.spec.tpm) freed += this.entries[i++]?.tokens ?? 0;
      waitTokens = used - freed + tokens > this.spec.tpm ? WINDOW_MS : expiry(i - 1);
    }
    const allowed = waitRequests === 0 && waitTokens === 0;
    if (allowed) this.entries.push({ at: now, tokens });
    const count = this.entries.length;
    const usedNow = allowed ? used + tokens : used;
    const headers: Record<string, string> = {};
    if (this.spec.rpm !== undefined) {
      headers["x-ratelimit-limit-requests"] = String(this.spec.rpm);
      headers["x-ratelimit-remaining-requests"] = String(Math.max(0, this.spec.rpm - count));
      headers["x-ratelimit-reset-requests"] = seconds(count === 0 ? 0 : expiry(0));
    }
    if (this.spec.tpm !== undefined) {
      headers["x-ratelimit-limit-tokens"] = String(this.spec.tpm);
      headers["x-ratelimit-remaining-tokens"] = String(Math.max(0, this.spec.tpm - usedNow));
      headers["x-ratelimit-reset-tokens"] = seconds(count === 0 ? 0 : expiry(0));
    }
    return { allowed, retryAfter: allowed ? 0 : Math.max(1, Math.ceil(Math.max(waitRequests, waitTokens) / 1000)), headers };
  }
}
