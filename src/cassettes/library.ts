/**
 * The cassettes a server holds: loaded and indexed by fingerprint at start-up, looked up per
 * request (the n-th request of a fingerprint gets the n-th recording, the last repeats), and
 * added to as the server records.
 */
import { fingerprint } from "../contract/fingerprint.js";
import { differingPaths } from "./diff.js";
import type { Redactor } from "./redact.js";
import type { Cassette, Interaction } from "./schema.js";
import { type CassetteStore, newCassette } from "./store.js";

interface Entry {
  cassette: Cassette;
  byPrint: Map<string, Interaction[]>;
  replayed: Set<Interaction>;
  recorded: Set<Interaction>;
  /** Re-recording: the first recording of this run replaces what the file held. */
  replacedThisRun: boolean;
}

export interface NearRecording {
  index: number;
  /** Where the request differs from this recording's. */
  differs: string[];
}

export class CassetteLibrary {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: CassetteStore,
    private readonly redactor: Redactor,
    private readonly matching: { ignore: readonly string[]; headers: readonly string[] },
  ) {
    for (const [name, cassette] of store.loadAll()) this.entries.set(name, this.index(cassette));
  }

  /** Indexed by the fingerprint this server computes, so --match-ignore applies to old recordings too. */
  private index(cassette: Cassette): Entry {
    const entry: Entry = { cassette, byPrint: new Map(), replayed: new Set(), recorded: new Set(), replacedThisRun: false };
    for (const interaction of cassette.interactions) this.add(entry, interaction);
    return entry;
  }

  private add(entry: Entry, interaction: Interaction): void {
    const print = this.fingerprintOf(interaction.request.body, interaction.request.headers);
    const list = entry.byPrint.get(print) ?? [];
    list.push(interaction);
    entry.byPrint.set(print, list);
  }

  /** The body as it is stored: redacted. */
  redactBody(body: unknown): unknown {
    return this.redactor.body(body);
  }

  /** The fingerprint of a (redacted) body, as recordings are indexed. */
  /** The fingerprint of a (redacted) body, plus the values of the --match-headers headers. */
  fingerprintOf(redactedBody: unknown, headers: Readonly<Record<string, string | string[] | undefined>>): string {
    const print = fingerprint(redactedBody as Record<string, unknown>, this.matching.ignore);
    if (this.matching.headers.length === 0) return print;
    const values = this.matching.headers.map((name) => {
      const value = headers[name];
      return Array.isArray(value) ? value.join(", ") : (value ?? "");
    });
    return fingerprint({ print, headers: values });
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Whether a recording exists for this fingerprint, without counting it as used. */
  peek(name: string, print: string): boolean {
    return (this.entries.get(name)?.byPrint.get(print)?.length ?? 0) > 0;
  }

  /** The recording for a request; `positions` (per session) counts how often each was asked for. */
  find(name: string, print: string, positions: Map<string, number>): { interaction: Interaction; index: number } | undefined {
    const entry = this.entries.get(name);
    const list = entry?.byPrint.get(print);
    if (!entry || !list || list.length === 0) return undefined;
    const key = `${name}#${print}`;
    const n = positions.get(key) ?? 0;
    positions.set(key, n + 1);
    const interaction = list[Math.min(n, list.length - 1)] as Interaction;
    entry.replayed.add(interaction);
    return { interaction, index: entry.cassette.interactions.indexOf(interaction) };
  }

  /** The recorded requests closest to this one, with the fields that differ. */
  closest(name: string, redactedBody: unknown, limit = 3): NearRecording[] {
    const entry = this.entries.get(name);
    if (!entry) return [];
    const ignore = new Set(["stream", "stream_options", ...this.matching.ignore]);
    const strip = (b: unknown) =>
      b !== null && typeof b === "object" ? Object.fromEntries(Object.entries(b).filter(([k]) => !ignore.has(k))) : b;
    return entry.cassette.interactions
      .map((i, index) => ({ index, differs: differingPaths(strip(i.request.body), strip(redactedBody)) }))
      .sort((a, b) => a.differs.length - b.differs.length)
      .slice(0, limit);
  }

  /** Adds an interaction and writes the cassette; resolves once it is on disk. */
  record(name: string, interaction: Interaction, replace: boolean): Promise<void> {
    let entry = this.entries.get(name);
    if (!entry || (replace && !entry.replacedThisRun)) {
      entry = { ...this.index(newCassette()), replacedThisRun: true };
      this.entries.set(name, entry);
    }
    entry.cassette.interactions.push(interaction);
    this.add(entry, interaction);
    entry.recorded.add(interaction);
    return this.store.write(name, entry.cassette);
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  /** Per cassette: recorded this run, replayed, never used. */
  summary(): Array<{ name: string; recorded: number; replayed: number; unused: number }> {
    return [...this.entries].map(([name, e]) => ({
      name,
      recorded: e.recorded.size,
      replayed: e.replayed.size,
      unused: e.cassette.interactions.filter((i) => !e.replayed.has(i) && !e.recorded.has(i)).length,
    }));
  }
}
