import { describe, expect, it } from "vitest";
import { Budget } from "../../src/limits/budget.js";
import { parseRateLimit, RateLimiter } from "../../src/limits/rate-limit.js";

describe("RateLimiter", () => {
  it("allows rpm requests a minute, then answers with the seconds until the oldest leaves the window", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ rpm: 2 }, () => now);
    expect(limiter.take(10).allowed).toBe(true);
    now += 20_000;
    const second = limiter.take(10);
    expect(second.allowed).toBe(true);
    expect(second.headers).toMatchObject({ "x-ratelimit-limit-requests": "2", "x-ratelimit-remaining-requests": "0" });
    now += 1_000;
    const third = limiter.take(10);
    expect(third.allowed).toBe(false);
    expect(third.retryAfter).toBe(39); // the first request leaves the window 39 s from now
    now += 39_000;
    expect(limiter.take(10).allowed).toBe(true);
  });

  it("counts tokens per minute and waits until enough of them have left the window", () => {
    let now = 0;
    const limiter = new RateLimiter({ tpm: 100 }, () => now);
    expect(limiter.take(60).allowed).toBe(true);
    now += 10_000;
    expect(limiter.take(30).allowed).toBe(true);
    now += 10_000;
    const refused = limiter.take(50);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfter).toBe(40);
    expect(refused.headers["x-ratelimit-remaining-tokens"]).toBe("10");
    expect(limiter.take(500).retryAfter).toBe(60); // larger than the whole limit
  });

  it("parses rpm and tpm and explains a bad spec", () => {
    expect(parseRateLimit("rpm=60,tpm=100000")).toEqual({ rpm: 60, tpm: 100000 });
    expect(parseRateLimit("rps=1")).toMatch(/not a limit/);
    expect(parseRateLimit("rpm=0")).toMatch(/at least 1/);
  });
});

describe("Budget", () => {
  it("refuses with the credits 402 once the spend reaches the budget", () => {
    const budget = new Budget(0.01);
    expect(budget.refusal()).toBeUndefined();
    budget.charge(0.004);
    expect(budget.refusal()).toBeUndefined();
    budget.charge(0.007);
    const refusal = budget.refusal();
    expect(refusal?.status).toBe(402);
    const body = refusal?.toBody().error;
    expect(body?.code).toBe("insufficient_credits");
    expect(body?.current_balance).toBeCloseTo(-0.001, 6);
    expect(body?.total_spent).toBeCloseTo(0.011, 6);
  });
});
