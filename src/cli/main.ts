/** The command line: each command maps its arguments onto the same options `startMockServer()` takes. */
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { FAULT_GRAMMAR } from "../faults/fault-spec.js";
import { bundledScenariosPath, OptionError, type Options, resolveOptions } from "../options.js";
import { CHUNK_GRAMMAR } from "../stream/chunk-spec.js";
import { type LatencyPreset, latencyPresetNames } from "../stream/latency.js";
import { FileError } from "../util/yaml-file.js";
import { VERSION } from "../version.js";
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

interface ServeArgs {
  port: number;
  host: string;
  scenarios: string[] | undefined;
  models: string | undefined;
  seed: string;
  latency: string;
  ttft: number | undefined;
  tps: number | undefined;
  jitter: number | undefined;
  chunk: string;
  "api-key": string | undefined;
  "stream-default": boolean;
  "on-miss": string;
  log: string | undefined;
  "max-body": number;
  "prompt-cache": boolean;
  fault: string | undefined;
  "fault-rate": number | undefined;
  faults: string | undefined;
  "rate-limit": string | undefined;
  budget: number | undefined;
}

function toOptions(args: ServeArgs): Options {
  const scenarios = args.scenarios ?? (existsSync("scenarios") ? ["scenarios"] : [bundledScenariosPath]);
  const options: Options = {
    port: args.port,
    host: args.host,
    scenarios,
    seed: args.seed,
    latency: args.latency as LatencyPreset,
    chunk: args.chunk,
    streamDefault: args["stream-default"],
    onMiss: args["on-miss"] as Options["onMiss"],
    log: (args.log ?? (process.stdout.isTTY ? "pretty" : "json")) as Options["log"],
    maxBodyBytes: args["max-body"],
    promptCache: args["prompt-cache"],
  };
  if (args.models !== undefined) options.models = args.models;
  if (args.ttft !== undefined) options.ttftMs = args.ttft;
  if (args.tps !== undefined) options.tps = args.tps;
  if (args.jitter !== undefined) options.jitter = args.jitter;
  if (args["api-key"] !== undefined) options.apiKey = args["api-key"];
  if (args.fault !== undefined) options.fault = args.fault;
  if (args["fault-rate"] !== undefined) options.faultRate = args["fault-rate"];
  if (args.faults !== undefined) options.faults = args.faults;
  if (args["rate-limit"] !== undefined) options.rateLimit = args["rate-limit"];
  if (args.budget !== undefined) options.budget = args.budget;
  resolveOptions(options); // bad values fail here, before anything listens
  return options;
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
      "cline-mock: a mock of the Cline API chat completions endpoint, with scripted scenarios.\n\n" +
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
          .option("port", { type: "number", default: 4010, describe: "port to listen on; 0 picks a free one" })
          .option("host", { type: "string", default: "127.0.0.1", describe: "address to listen on" })
          .option("scenarios", {
            type: "string",
            array: true,
            describe: "scenario file or folder (repeatable); default ./scenarios, else the bundled defaults",
          })
          .option("models", { type: "string", describe: "model catalogue YAML (ids and prices); default the bundled models.yaml" })
          .option("seed", { type: "string", default: "0", describe: "all randomness (ids, chunk sizes, jitter) derives from it" })
          .option("latency", { type: "string", choices: latencyPresetNames, default: "realistic", describe: "timing preset" })
          .option("ttft", { type: "number", describe: "time to first token in ms (overrides the preset)" })
          .option("tps", { type: "number", describe: "tokens per second (overrides the preset)" })
          .option("jitter", { type: "number", describe: "timing jitter as a fraction, 0.2 = ±20% (overrides the preset)" })
          .option("chunk", { type: "string", default: "token:1-4", describe: `how text is cut into chunks: ${CHUNK_GRAMMAR}` })
          .option("api-key", { type: "string", describe: "require this exact bearer key (default: any non-empty key)" })
          .option("stream-default", { type: "boolean", default: true, describe: "what an omitted `stream` means (the API says true)" })
          .option("on-miss", {
            type: "string",
            choices: ["error", "fallback"],
            default: "error",
            describe: "a request no scenario matches: 404 naming the closest scenarios, or a built-in answer",
          })
          .option("log", {
            type: "string",
            choices: ["pretty", "json", "none"],
            describe: "one line per request (default pretty on a terminal, else json)",
          })
          .option("prompt-cache", {
            type: "boolean",
            default: false,
            describe: "simulate prompt caching: a message prefix already sent for a model is reported as cached_tokens",
          })
          .option("fault", { type: "string", describe: `inject a fault into every answer: ${FAULT_GRAMMAR}; join several with +` })
          .option("fault-rate", {
            type: "number",
            describe: "with this probability per request (seeded), inject a fault drawn from --faults",
          })
          .option("faults", {
            type: "string",
            describe: "comma-separated faults for --fault-rate, e.g. http:429,http:503,error@3,disconnect@5",
          })
          .option("rate-limit", {
            type: "string",
            describe: "a rate limit per session, e.g. rpm=60,tpm=100000: over it, 429 with retry-after",
          })
          .option("budget", { type: "number", describe: "a spend budget per session in USD: once the answers' cost reaches it, 402" })
          .option("max-body", { type: "number", default: 20 * 1024 * 1024, describe: "largest request body in bytes (413 above)" })
          .example("$0", "serve the bundled scenarios on http://127.0.0.1:4010")
          .example("$0 --scenarios test/scenarios --latency none --port 0", "fast, on a free port, for tests")
          .example("$0 --latency slow --chunk word:1", "a slow, word-by-word stream")
          .example("$0 --fault-rate 0.2 --faults http:429,http:503,error@5,disconnect@3", "chaos: one request in five fails"),
      async (args) => {
        try {
          const options = toOptions(args as unknown as ServeArgs);
          // Loaded only here: the server pulls in the tokenizer, which `validate` and `--help` do not need.
          const { serve } = await import("./serve.js");
          await serve(options);
        } catch (error) {
          fail(error);
        }
      },
    )
    .command(
      "validate <paths..>",
      "check scenario and model catalogue files; exits 1 naming the file, line and field of each problem",
      (y) => y.positional("paths", { type: "string", array: true, describe: "files or folders" }),
      (args) => {
        process.exitCode = validate(args.paths as string[], (line) => process.stdout.write(`${line}\n`));
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
