/** `cline-mock validate PATH...`: check scenario, cassette and catalogue files; one line per file. */
import { readdirSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { cassetteSchema } from "../cassettes/schema.js";
import type { CompiledScenario } from "../scenarios/compile.js";
import { findWarnings, scenariosFromSource } from "../scenarios/load.js";
import { catalogueSchema } from "../usage/catalogue.js";
import { checkYaml, displayPath, FileError, readYamlFile } from "../util/yaml-file.js";

const EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

function expand(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? expand(join(path, e.name)) : EXTENSIONS.has(extname(e.name)) ? [join(path, e.name)] : []));
}

function kindOf(value: unknown): "models" | "cassette" | "scenarios" {
  if (value === null || typeof value !== "object") return "scenarios";
  if (Object.hasOwn(value, "models")) return "models";
  return Object.hasOwn(value, "cassette") ? "cassette" : "scenarios";
}

/** Returns the exit code: 0 when every file is valid. */
export function validate(paths: readonly string[], out: (line: string) => void): number {
  let failures = 0;
  const scenarios: CompiledScenario[] = [];
  for (const path of paths) {
    let files: string[];
    try {
      files = expand(path);
    } catch {
      out(`✗ ${displayPath(path)}: does not exist`);
      failures++;
      continue;
    }
    for (const file of files) {
      try {
        const source = readYamlFile(file);
        const kind = kindOf(source.value);
        if (kind === "models") {
          const n = checkYaml(source, catalogueSchema).models.length;
          out(`✓ ${source.file}: model catalogue, ${n} models`);
        } else if (kind === "cassette") {
          const n = checkYaml(source, cassetteSchema).interactions.length;
          out(`✓ ${source.file}: cassette, ${n} interaction${n === 1 ? "" : "s"}`);
        } else {
          const found = scenariosFromSource(source);
          scenarios.push(...found);
          out(`✓ ${source.file}: ${found.length} scenario${found.length === 1 ? "" : "s"} (${found.map((s) => s.name).join(", ")})`);
        }
      } catch (error) {
        if (!(error instanceof FileError)) throw error;
        out(`✗ ${error.message}`);
        failures++;
      }
    }
  }
  for (const warning of findWarnings(scenarios)) out(`! warning: ${warning}`);
  return failures === 0 ? 0 : 1;
}
