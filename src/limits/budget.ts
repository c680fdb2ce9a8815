/** A spend budget (`--budget USD`): once the answers' `cost` adds up to it, requests get a 402. */

import type { MockError } from "../contract/errors.js";
import { httpError } from "../contract/http-errors.js";

export class Budget {
  private spent = 0;

  constructor(private readonly limitUsd: number) {}

  /** The 402 to answer with when the budget is spent, else undefined. */
  refusal(): MockError | undefined {
    if (this.spent < this.limitUsd) return undefined;
    const balance = Math.round((this.limitUsd - this.spent) * 1e6) / 1e6;
    return httpError(402, {
      message: `Not enough credits available: this session has spent $${this.spent.toFixed(6)} of its $${this.limitUsd} budget (--budget).`,
      current_balance: balance,
      total_spent: Math.round(this.spent * 1e6) / 1e6,
    });
  }

  charge(usd: number): void {
    this.spent += usd;
  }
}
