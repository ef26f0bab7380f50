import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A file name a scenario may have. */
export const SCENARIO_FILE = /\.ya?ml$/;

/**
 * The scenario files `paths` name: each file as given, each directory's `*.yaml` / `*.yml` files at any
 * depth, in name order. A path that does not exist is returned as given (loading it reports the error).
 */
export function scenarioFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      return [p];
    }
    if (!isDir) return [p];
    return (readdirSync(p, { recursive: true, withFileTypes: false }) as string[])
      .filter((f) => SCENARIO_FILE.test(f))
      .sort()
      .map((f) => join(p, f));
  });
}
