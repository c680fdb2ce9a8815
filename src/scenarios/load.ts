/** Loads scenarios from files, folders and inline objects, in order, and warns about mistakes. */
import { readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { formatPath } from "../contract/validate-request.js";
import { checkYaml, displayPath, FileError, readYamlFile, type YamlSource } from "../util/yaml-file.js";
import { type CompiledScenario, compileScenario, ScenarioProblem } from "./compile.js";
import { type Scenario, type ScenarioInput, scenarioListSchema, scenarioSchema } from "./schema.js";

const EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

export interface LoadedScenarios {
  scenarios: CompiledScenario[];
  warnings: string[];
}

/** Files of a folder in name order, subfolders included. */
function filesIn(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = join(path, entry.name);
      if (entry.isDirectory()) return filesIn(full);
      return EXTENSIONS.has(extname(entry.name)) ? [full] : [];
    });
}

function compileAt(source: YamlSource, scenario: Scenario, at: PropertyKey[], fallbackName: string): CompiledScenario {
  try {
    return compileScenario(scenario, fallbackName, `${source.file}:${source.lineOf(at) ?? 1}`);
  } catch (error) {
    if (!(error instanceof ScenarioProblem)) throw error;
    const path = [...at, ...error.path];
    throw new FileError(source.file, source.lineOf(path), formatPath(path), error.message);
  }
}

export function scenariosFromSource(source: YamlSource): CompiledScenario[] {
  const stem = basename(source.file, extname(source.file));
  const value = source.value;
  if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.hasOwn(value, "scenarios")) {
    const list = checkYaml(source, scenarioListSchema, ["scenarios"]);
    return list.map((s, i) => compileAt(source, s, ["scenarios", i], `${stem}#${i + 1}`));
  }
  return [compileAt(source, checkYaml(source, scenarioSchema), [], stem)];
}

function compileInline(input: ScenarioInput, index: number): CompiledScenario {
  const parsed = scenarioSchema.safeParse(input);
  const where = `scenario ${index + 1} given in code`;
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FileError(where, undefined, issue ? formatPath(issue.path) : undefined, issue?.message ?? "is invalid");
  }
  try {
    return compileScenario(parsed.data, `inline#${index + 1}`, "code");
  } catch (error) {
    if (error instanceof ScenarioProblem) throw new FileError(where, undefined, formatPath(error.path), error.message);
    throw error;
  }
}

/** Whether `earlier` matches every request `later` would: its conditions are a subset of later's. */
function shadows(earlier: CompiledScenario, later: CompiledScenario): boolean {
  if (earlier.steps.length > 1) return false;
  const labels = new Set(later.conditions.map((c) => c.label));
  return earlier.conditions.every((c) => labels.has(c.label));
}

export function findWarnings(scenarios: readonly CompiledScenario[]): string[] {
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  for (const s of scenarios) {
    const first = seen.get(s.name);
    if (first)
      warnings.push(`scenario "${s.name}" (${s.origin}) has the same name as the one at ${first}; x-mock-scenario picks the first`);
    else seen.set(s.name, s.origin);
  }
  scenarios.forEach((later, j) => {
    const blocker = scenarios.slice(0, j).find((earlier) => shadows(earlier, later));
    if (blocker) {
      warnings.push(
        `scenario "${later.name}" (${later.origin}) can never be reached: "${blocker.name}" (${blocker.origin}) comes first and matches every request it would; move it earlier or narrow "${blocker.name}"`,
      );
    }
  });
  return warnings;
}

export function loadScenarios(sources: ReadonlyArray<string | ScenarioInput>): LoadedScenarios {
  const scenarios: CompiledScenario[] = [];
  sources.forEach((entry, index) => {
    if (typeof entry !== "string") {
      scenarios.push(compileInline(entry, index));
      return;
    }
    let files: string[];
    try {
      files = filesIn(entry);
    } catch {
      throw new FileError(displayPath(entry), undefined, undefined, "does not exist: give a scenario file or a folder of them");
    }
    for (const file of files) scenarios.push(...scenariosFromSource(readYamlFile(file)));
  });
  return { scenarios, warnings: findWarnings(scenarios) };
}
