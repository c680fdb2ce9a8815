/** `cline-mock serve`: start the server, print where, stop cleanly on SIGINT and SIGTERM. */
import type { Options } from "../options.js";
import { startMockServer } from "../server/start.js";

export async function serve(options: Options): Promise<void> {
  const mock = await startMockServer(options);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`cline-mock: ${signal} received, closing\n`);
    mock.close().then(
      () => {
        if (options.mode !== undefined && options.mode !== "replay" && options.mode !== "passthrough") {
          for (const c of mock.cassetteSummary()) {
            process.stderr.write(
              `cline-mock: cassette ${c.name}: ${c.recorded} recorded, ${c.replayed} replayed, ${c.unused} never used\n`,
            );
          }
        }
        process.exit(0);
      },
      (error: Error) => {
        process.stderr.write(`cline-mock: error while closing: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  // Printed only once the signal handlers are in place: whoever waits for this line may stop us at once.
  for (const warning of mock.warnings) process.stderr.write(`cline-mock: warning: ${warning}\n`);
  process.stdout.write(`cline-mock listening on ${mock.origin}\n`);
  process.stdout.write(`base URL for clients: ${mock.url}\n`);
}
