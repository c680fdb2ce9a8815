/** startMockServer: listens, and returns the base URL and a way to stop. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Options, resolveOptions } from "../options.js";
import { handlerFor } from "./app.js";
import type { JournalEntry } from "./journal.js";
import { createState, type MockState } from "./state.js";
import { watchFiles } from "./watch.js";

export interface MockServer {
  /** Base URL to give clients, e.g. `http://127.0.0.1:54321/api/v1`. */
  url: string;
  /** `http://HOST:PORT`, for the control routes. */
  origin: string;
  port: number;
  server: Server;
  /** Warnings from loading scenarios (unreachable or duplicate ones). */
  warnings: readonly string[];
  /** The request journal, oldest first. */
  requests(): readonly JournalEntry[];
  /** Resets sequences and the journal, as POST /_mock/reset does. */
  reset(): void;
  /** Per cassette: interactions recorded in this run, replayed, and never used. */
  cassetteSummary(): ReturnType<MockState["cassettes"]["summary"]>;
  /** Stops listening, closes connections, and waits for cassette writes to finish. */
  close(): Promise<void>;
}

export async function startMockServer(options: Options = {}): Promise<MockServer> {
  const resolved = resolveOptions({ port: 0, ...options });
  const state = createState(resolved);
  const server = createServer(handlerFor(state));
  // Many clients keep connections alive longer than Node's 5 s default; do not race them.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A deep accept queue: load tests open thousands of connections at once, and a full queue
    // drops connection attempts, which clients then retry only after a second or more.
    server.listen({ port: resolved.port, host: resolved.host, backlog: 4096 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const watcher = resolved.watch ? watchFiles(state, (line) => process.stderr.write(`${line}\n`)) : undefined;
  const { port } = server.address() as AddressInfo;
  const host = resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host;
  const origin = `http://${host}:${port}`;
  return {
    url: `${origin}/api/v1`,
    origin,
    port,
    server,
    warnings: state.warnings,
    requests: () => state.journal.list(),
    reset: () => state.reset(),
    cassetteSummary: () => state.cassettes.summary(),
    close: async () => {
      watcher?.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      await Promise.allSettled([...state.recordings]);
      await state.cassettes.flush();
    },
  };
}
