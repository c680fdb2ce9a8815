/**
 * `--watch`: reloads scenario files, and in replay mode cassettes, when they change. A file that
 * no longer loads keeps the old ones in place and says why on stderr.
 */
import { existsSync, type FSWatcher, watch } from "node:fs";
import { CassetteLibrary } from "../cassettes/library.js";
import { diskStore } from "../cassettes/store.js";
import { loadScenarios } from "../scenarios/load.js";
import { FileError } from "../util/yaml-file.js";
import type { MockState } from "./state.js";

export interface Watcher {
  close(): void;
}

export function watchFiles(state: MockState, log: (line: string) => void): Watcher {
  const { options } = state;
  const paths = options.scenarios.filter((s): s is string => typeof s === "string");
  const watchCassettes = options.mode === "replay";
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    try {
      const loaded = loadScenarios(options.scenarios);
      const cassettes = watchCassettes
        ? new CassetteLibrary(diskStore(options.cassettes), state.redactor, { ignore: options.matchIgnore, headers: options.matchHeaders })
        : state.cassettes;
      state.fileScenarios = loaded.scenarios;
      state.warnings = loaded.warnings;
      state.cassettes = cassettes;
      log(`cline-mock: reloaded ${loaded.scenarios.length} scenarios${watchCassettes ? " and the cassettes" : ""}`);
      for (const warning of loaded.warnings) log(`cline-mock: warning: ${warning}`);
    } catch (error) {
      if (!(error instanceof FileError)) throw error;
      log(`cline-mock: not reloaded, the files in place stay: ${error.message}`);
    }
  };
  // Editors write a file in several steps; one reload after they settle.
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, 100);
  };
  const watched = [...paths, ...(watchCassettes ? [options.cassettes] : [])].filter((p) => existsSync(p));
  const watchers: FSWatcher[] = watched.map((p) => watch(p, { recursive: true }, changed));
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
