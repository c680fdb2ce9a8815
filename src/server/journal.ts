/** The request journal of `GET /_mock/requests`: the latest requests, oldest dropped first. */
export interface JournalEntry {
  seq: number;
  at: string;
  method: string;
  path: string;
  session: string;
  model: string | null;
  stream: boolean | null;
  /** What answered: `scenario:NAME`, `fallback`, or null when the request was refused. */
  source: string | null;
  seed: string;
  fingerprint: string | null;
  /** The fault spec injected, if any. */
  fault: string | null;
  status: number;
  durationMs: number;
  /** True when the client went away before the answer was complete. */
  aborted: boolean;
  error: string | null;
  request: { headers: Record<string, string>; body: unknown };
}

export class Journal {
  private entries: JournalEntry[] = [];
  private seq = 0;

  constructor(private readonly limit: number) {}

  nextSeq(): number {
    return ++this.seq;
  }

  add(entry: JournalEntry): void {
    if (this.limit <= 0) return;
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  list(): readonly JournalEntry[] {
    return this.entries;
  }

  clear(): void {
    this.entries = [];
  }
}
