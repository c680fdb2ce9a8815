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
  /** Tokens and cost of the answer, when the mock built it. */
  usage: { promptTokens: number; completionTokens: number; cost: number } | null;
  status: number;
  durationMs: number;
  /** True when the client went away before the answer was complete. */
  aborted: boolean;
  error: string | null;
  request: { headers: Record<string, string>; body: unknown };
}

// The bodies kept in all, at most: under load the journal must not grow into gigabytes.
const BODY_BYTES_LIMIT = 32 * 1024 * 1024;

export class Journal {
  private entries: JournalEntry[] = [];
  private sizes: number[] = [];
  private bodyBytes = 0;
  private seq = 0;

  constructor(private readonly limit: number) {}

  nextSeq(): number {
    return ++this.seq;
  }

  /** Adds an entry whose request body took `bytes`; the oldest entries go first when over a limit. */
  add(entry: JournalEntry, bytes = 0): void {
    if (this.limit <= 0) return;
    this.entries.push(entry);
    this.sizes.push(bytes);
    this.bodyBytes += bytes;
    while (this.entries.length > this.limit || (this.bodyBytes > BODY_BYTES_LIMIT && this.entries.length > 1)) {
      this.entries.shift();
      this.bodyBytes -= this.sizes.shift() ?? 0;
    }
  }

  list(): readonly JournalEntry[] {
    return this.entries;
  }

  clear(): void {
    this.entries = [];
    this.sizes = [];
    this.bodyBytes = 0;
  }
}
