/**
 * Where cassettes live. The disk store writes each cassette atomically (a temporary file, synced,
 * then renamed over the old one) and serialises the writes of each cassette, so concurrent
 * recordings all land and a crash never leaves half a file.
 */
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { stringify } from "yaml";
import { checkYaml, readYamlFile } from "../util/yaml-file.js";
import { CASSETTE_VERSION, type Cassette, cassetteSchema, type Interaction } from "./schema.js";

export interface CassetteStore {
  /** Every cassette there is, by name. */
  loadAll(): Map<string, Cassette>;
  /** Replaces a cassette's contents; resolves once they are safely stored. */
  write(name: string, cassette: Cassette): Promise<void>;
  /** Resolves when every write begun so far has finished. */
  flush(): Promise<void>;
}

export function newCassette(interactions: Interaction[] = []): Cassette {
  return { cassette: CASSETTE_VERSION, recordedWith: "cline-mock", interactions };
}

/** Writes are queued per name; the latest contents win, and every queued write finishes. */
class WriteQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run(name: string, job: () => Promise<void>): Promise<void> {
    const next = (this.tails.get(name) ?? Promise.resolve()).then(job, job);
    this.tails.set(name, next);
    void next.finally(() => {
      if (this.tails.get(name) === next) this.tails.delete(name);
    });
    return next;
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.tails.values()]);
  }
}

export function memoryStore(initial: Map<string, Cassette> = new Map()): CassetteStore {
  const cassettes = new Map(initial);
  return {
    loadAll: () => new Map(cassettes),
    write: async (name, cassette) => {
      cassettes.set(name, structuredClone(cassette));
    },
    flush: async () => {},
  };
}

const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;
// Interactions never change once recorded, so each is rendered once: writing a cassette after one
// more recording costs that recording, not the whole file again.
const rendered = new WeakMap<Interaction, string>();

function block(interaction: Interaction): string {
  let text = rendered.get(interaction);
  if (text === undefined) {
    text = stringify([interaction], YAML_OPTIONS);
    rendered.set(interaction, text);
  }
  return text;
}

/** YAML with one interaction a block and no line folding, so a re-recording diffs well. */
export function renderCassette(cassette: Cassette): string {
  const { interactions, ...header } = cassette;
  if (interactions.length === 0) return stringify(cassette, YAML_OPTIONS);
  return `${stringify(header, YAML_OPTIONS)}interactions:\n${interactions.map(block).join("")}`;
}

/** The same text, rendered a few milliseconds at a time, so a large cassette loaded from disk does not block the server on its first write. */
async function renderCassetteGently(cassette: Cassette): Promise<string> {
  let since = performance.now();
  for (const interaction of cassette.interactions) {
    if (rendered.has(interaction)) continue;
    block(interaction);
    if (performance.now() - since > 8) {
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
  return renderCassette(cassette);
}

let tmpCounter = 0;

export function diskStore(dir: string): CassetteStore {
  const queue = new WriteQueue();
  const latest = new Map<string, Cassette>();
  const queued = new Map<string, Promise<void>>();
  const files = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(folder, e.name)) : e.name.endsWith(".yaml") && !e.name.startsWith(".") ? [join(folder, e.name)] : [],
    );
  return {
    loadAll() {
      const out = new Map<string, Cassette>();
      if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return out;
      for (const file of files(dir)) {
        const name = relative(dir, file)
          .replace(/\.yaml$/, "")
          .split("\\")
          .join("/");
        out.set(name, checkYaml(readYamlFile(file), cassetteSchema));
      }
      return out;
    },
    write(name, cassette) {
      // While a write of this cassette waits its turn, later ones join it: it renders the latest
      // contents when it runs, so a burst of recordings costs one write, not one each.
      latest.set(name, cassette);
      const waiting = queued.get(name);
      if (waiting) return waiting;
      const job = queue.run(name, async () => {
        queued.delete(name);
        const text = await renderCassetteGently(latest.get(name) ?? cassette);
        const file = join(dir, `${name}.yaml`);
        mkdirSync(dirname(file), { recursive: true });
        const tmp = join(dirname(file), `.${name.split("/").at(-1)}.yaml.${process.pid}.${++tmpCounter}.tmp`);
        const handle = await open(tmp, "w");
        try {
          await handle.writeFile(text, "utf8");
          await handle.sync();
        } finally {
          await handle.close();
        }
        try {
          await rename(tmp, file);
        } catch (error) {
          await unlink(tmp).catch(() => undefined);
          throw error;
        }
      });
      queued.set(name, job);
      return job;
    },
    flush: () => queue.flush(),
  };
}
