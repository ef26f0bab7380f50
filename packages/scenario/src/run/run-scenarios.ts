import type { TraceSink } from '@vfio-sim/platform';
import { loadScenario } from './load-scenario.js';
import { invalidResult, runPlan } from './run-scenario.js';
import { scenarioFiles } from './scenario-files.js';
import { type RunSummary, type ScenarioResult, summarize } from './scenario-result.js';
import { ScenarioTraceSink } from './scenario-trace-sink.js';

/** Options of {@link runScenarios}. */
export interface RunScenariosOptions {
  /** Trace every scenario into this sink, one after another in time, each under its file's name. */
  readonly traceSink?: TraceSink;
  /** Called with each result as it is known (for progress output). */
  readonly onResult?: (result: ScenarioResult) => void;
}

/**
 * Run the scenario files and directories `paths` name (see {@link scenarioFiles}): each file is loaded
 * (YAML, schema, plan) and, if valid, run. The summary's `exitCode` is what `vfio-sim run` exits with.
 *
 * This is the API a test runner calls: `expect(runScenarios(['scenarios/']).exitCode).toBe(0)`.
 */
export function runScenarios(paths: readonly string[], options: RunScenariosOptions = {}): RunSummary {
  const t0 = performance.now();
  const trace = options.traceSink !== undefined ? new ScenarioTraceSink(options.traceSink) : undefined;
  const results = scenarioFiles(paths).map((file) => {
    const loaded = loadScenario(file);
    const result =
      loaded.plan === undefined
        ? invalidResult(file, loaded.errors)
        : runPlan(loaded.plan, trace !== undefined ? { traceSink: trace.next(file) } : {});
    if (trace !== undefined) trace.advance(result.virtualUs);
    options.onResult?.(result);
    return result;
  });
  return summarize(results, performance.now() - t0);
}

/**
 * Check the files without running them (`vfio-sim check`): YAML, schema and plan. Returns each file's
 * errors (empty: valid) and the exit status (0 all valid, 2 otherwise).
 */
export function checkScenarios(paths: readonly string[]): RunSummary {
  const t0 = performance.now();
  const results = scenarioFiles(paths).map((file): ScenarioResult => {
    const loaded = loadScenario(file);
    if (loaded.plan === undefined) return invalidResult(file, loaded.errors);
    const steps = loaded.plan.steps.length;
    return { ...invalidResult(file, []), name: loaded.plan.name, status: 'pass', steps };
  });
  return summarize(results, performance.now() - t0);
}
