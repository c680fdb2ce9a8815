/** The command line: each command maps its arguments onto the same options `startMockServer()` takes. */
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { bundledScenariosPath, OptionError, type Options, resolveOptions } from "../options.js";
import { FileError } from "../util/yaml-file.js";
import { VERSION } from "../version.js";
import { toOptions, yargsOptions } from "./server-options.js";
import { validate } from "./validate.js";

const CONFIG_FILE = "cline-mock.config.yaml";

function configFile(): Record<string, unknown> {
  if (!existsSync(CONFIG_FILE)) return {};
  const value = parse(readFileSync(CONFIG_FILE, "utf8")) as unknown;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new FileError(CONFIG_FILE, undefined, undefined, "must be a mapping of option names to values");
  }
  return value as Record<string, unknown>;
}

/** The options of a server command, with the defaults that depend on where it runs. */
function serverOptions(args: Record<string, unknown>): Options {
  const options = toOptions(args);
  options.scenarios ??= existsSync("scenarios") ? ["scenarios"] : [bundledScenariosPath];
  options.log ??= process.stdout.isTTY ? "pretty" : "json";
  resolveOptions(options); // bad values fail here, before anything listens
  return options;
}

async function runServer(args: Record<string, unknown>): Promise<void> {
  try {
    const options = serverOptions(args);
    // Loaded only here: the server pulls in the tokenizer, which `validate` and `--help` do not need.
    const { serve } = await import("./serve.js");
    await serve(options);
  } catch (error) {
    fail(error);
  }
}

function fail(error: unknown): never {
  if (error instanceof OptionError || error instanceof FileError) {
    process.stderr.write(`cline-mock: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

export async function main(argv: string[]): Promise<void> {
  let config: Record<string, unknown>;
  try {
    config = configFile();
  } catch (error) {
    fail(error);
  }
  await yargs(argv)
    .scriptName("cline-mock")
    .usage(
      "cline-mock: a mock of the Cline API chat completions endpoint, with scripted scenarios,\nchaos faults, and record/replay of real traffic.\n\n" +
        "Point any OpenAI-compatible client at the printed base URL (http://127.0.0.1:4010/api/v1)\n" +
        "with any API key. Options can also come from CLINE_MOCK_<OPTION> environment variables\n" +
        `(CLINE_MOCK_PORT=5000) and from ${CONFIG_FILE} in the current folder.`,
    )
    .env("CLINE_MOCK")
    .config(config)
    .command(
      ["serve", "$0"],
      "answer requests from scenarios (the default command)",
      (y) =>
        y
          .options(yargsOptions())
          .example("$0", "serve the bundled scenarios on http://127.0.0.1:4010")
          .example("$0 --scenarios test/scenarios --latency none --port 0", "fast, on a free port, for tests")
          .example("$0 --latency slow --chunk word:1", "a slow, word-by-word stream")
          .example("$0 --fault-rate 0.2 --faults http:429,http:503,error@5,disconnect@3", "chaos: one request in five fails")
          .example("$0 --mode auto --upstream https://api.cline.bot/api/v1", "replay what is recorded, record what is not"),
      (args) => runServer(args),
    )
    .command(
      "record",
      "proxy to the real API and record every answer into cassettes (mode record by default)",
      (y) =>
        y
          .options(yargsOptions({ mode: { default: "record" } }))
          .example("CLINE_API_KEY=sk-... $0 record --cassettes test/cassettes", "record real traffic; clients may send any key")
          .example("$0 record --mode auto", "record only requests that have no recording yet"),
      (args) => runServer(args),
    )
    .command(
      "validate <paths..>",
      "check scenario and model catalogue files; exits 1 naming the file, line and field of each problem",
      (y) => y.positional("paths", { type: "string", array: true, describe: "files or folders" }),
      (args) => {
        process.exitCode = validate(args.paths as string[], (line) => process.stdout.write(`${line}\n`));
      },
    )
    .command(
      "inspect <cassette>",
      "summarise a cassette: each interaction's model, prompt, status, chunks, timing, tokens and cost",
      (y) =>
        y
          .positional("cassette", { type: "string", describe: "a cassette file, or a name in --cassettes" })
          .option("cassettes", { type: "string", default: "cassettes" }),
      async (args) => {
        const { inspect } = await import("./inspect.js");
        try {
          process.stdout.write(inspect({ cassette: args.cassette as string, dir: args.cassettes }));
        } catch (error) {
          fail(error);
        }
      },
    )
    .strict()
    .recommendCommands()
    .version(VERSION)
    .help()
    .alias("h", "help")
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((message, error, y) => {
      if (error) fail(error);
      process.stderr.write(`cline-mock: ${message}\n\nRun cline-mock --help for the options.\n`);
      y.exit(1, new Error(message));
    })
    .parseAsync();
}

await main(hideBin(process.argv));
