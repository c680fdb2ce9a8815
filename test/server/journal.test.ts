import { describe, expect, it } from "vitest";
import { Journal, type JournalEntry } from "../../src/server/journal.js";

const entry = (seq: number): JournalEntry => ({
  seq,
  at: "",
  method: "POST",
  path: "/api/v1/chat/completions",
  session: "",
  model: null,
  stream: null,
  source: null,
  seed: "0",
  fingerprint: null,
  fault: null,
  usage: null,
  status: 200,
  durationMs: 0,
  aborted: false,
  error: null,
  request: { headers: {}, body: null },
});

describe("Journal", () => {
  it("keeps the latest entries up to its size", () => {
    const journal = new Journal(3);
    for (let i = 1; i <= 5; i++) journal.add(entry(i));
    expect(journal.list().map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it("drops the oldest entries once the bodies it holds pass 32 MB", () => {
    const journal = new Journal(1000);
    for (let i = 1; i <= 10; i++) journal.add(entry(i), 5 * 1024 * 1024);
    expect(journal.list().map((e) => e.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    journal.clear();
    journal.add(entry(11), 1);
    expect(journal.list()).toHaveLength(1);
  });
});
