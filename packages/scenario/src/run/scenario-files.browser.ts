/** A file name a scenario may have. */
export const SCENARIO_FILE = /\.ya?ml$/;

/**
 * In a browser there are no directories to walk: the paths are returned as given (Node's build, which
 * takes `scenario-files.ts` in this file's place, expands each directory to its scenario files).
 */
export function scenarioFiles(paths: readonly string[]): string[] {
  return [...paths];
}
