/** Reads YAML files into values checked by a zod schema; every problem names the file, line and field. */
import { readFileSync, statSync } from "node:fs";
import { relative } from "node:path";
import { isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { formatPath } from "../contract/validate-request.js";
import { guardJson } from "./json-guard.js";

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
/** How deep a file may nest; deeper files are refused before the parser recurses into them. */
export const MAX_YAML_DEPTH = 64;

/** A cheap look at the text for nesting the parser would recurse into: flow brackets, indentation, stacked `- `. */
function nestingTooDeep(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") {
      line++;
      const indent = /^[ ]*(?:- +)*/.exec(text.slice(i + 1, i + 1 + 4 * MAX_YAML_DEPTH + 8))?.[0] ?? "";
      if (indent.length > 4 * MAX_YAML_DEPTH) return line;
      continue;
    }
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#") i = Math.max(i, text.indexOf("\n", i) - 1 < 0 ? text.length : text.indexOf("\n", i) - 1);
    else if (c === "[" || c === "{") {
      if (++depth > MAX_YAML_DEPTH) return line;
    } else if (c === "]" || c === "}") depth = Math.max(0, depth - 1);
  }
  return undefined;
}

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
  if (Buffer.byteLength(text) > MAX_YAML_BYTES) throw new FileError(file, undefined, undefined, `is larger than ${MAX_YAML_BYTES} bytes`);
  const deepAt = nestingTooDeep(text);
  if (deepAt !== undefined) throw new FileError(file, deepAt, undefined, `nests deeper than ${MAX_YAML_DEPTH} levels`);
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
  const problem = guardJson(value, MAX_YAML_DEPTH);
  if (problem?.kind === "depth")
    throw new FileError(file, undefined, undefined, `nests deeper than ${MAX_YAML_DEPTH} levels (an anchor that refers to itself does)`);
  const source: YamlSource = {
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
  if (problem?.kind === "proto") {
    // The line of the key itself, not of its value.
    const parent = doc.getIn(problem.path.slice(0, -1) as unknown[], true) ?? doc.contents;
    const key = isMap(parent) ? parent.items.find((pair) => isScalar(pair.key) && pair.key.value === "__proto__")?.key : undefined;
    const line = isNode(key) && key.range ? lineAt(key.range[0]) : source.lineOf(problem.path);
    throw new FileError(file, line, formatPath(problem.path), 'is a "__proto__" key, which is not allowed');
  }
  return source;
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
    // Checked before reading, so a huge file is never read whole.
    if (statSync(path).size > MAX_YAML_BYTES)
      throw new FileError(displayPath(path), undefined, undefined, `is larger than ${MAX_YAML_BYTES} bytes`);
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof FileError) throw error;
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
