/** Reads YAML files into values checked by a zod schema; every problem names the file, line and field. */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { formatPath } from "../contract/validate-request.js";

/** A problem in a file the user wrote: the CLI prints it and exits 1. */
export class FileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    const where = line === undefined ? file : `${file}, line ${line}`;
    super(`${where}: ${field ? `\`${field}\` ` : ""}${problem}`);
    this.name = "FileError";
  }
}

export const MAX_YAML_BYTES = 10 * 1024 * 1024;

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") || rel === "" ? file : rel;
}

/** A parsed YAML document that can say on which line any path of it is. */
export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/** Parses YAML text with aliases limited and no custom tags; `file` is only for messages. */
export function readYaml(text: string, file: string): YamlSource {
  if (text.length > MAX_YAML_BYTES) throw new FileError(file, undefined, undefined, `is larger than ${MAX_YAML_BYTES} bytes`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, customTags: [] });
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  // A tag the core schema does not know (`!!js/function`, `!custom`) is refused, never guessed at.
  const tag = doc.warnings.find((w) => w.code === "TAG_RESOLVE_FAILED");
  if (tag) throw new FileError(file, lineAt(tag.pos[0]), undefined, `uses a YAML tag that is not allowed: ${tag.message.split("\n")[0]}`);
  const syntax = doc.errors[0];
  if (syntax) throw new FileError(file, lineAt(syntax.pos[0]), undefined, syntax.message.split("\n")[0] ?? "is not valid YAML");
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new FileError(file, undefined, undefined, (error as Error).message);
  }
  return {
    file,
    value,
    lineOf(path) {
      // The deepest node that exists on the path gives the line.
      for (let depth = path.length; depth >= 0; depth--) {
        const node = doc.getIn(path.slice(0, depth) as unknown[], true);
        if (isNode(node) && node.range) return lineAt(node.range[0]);
      }
      return undefined;
    },
  };
}

/** Validates the value found at `at` in a YAML source; the first problem is thrown with its line. */
export function checkYaml<S extends z.ZodType>(source: YamlSource, schema: S, at: readonly PropertyKey[] = []): z.infer<S> {
  let value: unknown = source.value;
  for (const key of at) value = (value as Record<PropertyKey, unknown>)[key];
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const path = [...at, ...issue.path];
  const got = issue.input === undefined || typeof issue.input === "object" ? "" : `, got ${JSON.stringify(issue.input).slice(0, 60)}`;
  const field = formatPath(path);
  throw new FileError(source.file, source.lineOf(path), field === "" ? undefined : field, `${issue.message}${got}`);
}

export function parseYaml<S extends z.ZodType>(text: string, file: string, schema: S): z.infer<S> {
  return checkYaml(readYaml(text, file), schema);
}

export function readYamlFile(path: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new FileError(
      displayPath(path),
      undefined,
      undefined,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return readYaml(text, displayPath(path));
}

export function loadYamlFile<S extends z.ZodType>(path: string, schema: S): z.infer<S> {
  return checkYaml(readYamlFile(path), schema);
}
