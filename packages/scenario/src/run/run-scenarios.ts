import { MemoryTraceSink, type TraceSink } from '@vfio-sim/platform';
import type { Plan } from '../plan/plan.js';
import { loadScenario } from './load-scenario.js';
import { replayTrace } from './replay-trace.js';
import { invalidResult, runPlan } from './run-scenario.js';
import { scenarioFiles } from './scenario-files.js';
import type { ScenarioMigration } from './scenario-migration.js';
import { type RunSummary, type ScenarioResult, summarize } from './scenario-result.js';
import { ScenarioTraceSink } from './scenario-trace-sink.js';

/** Options of {@link runScenarios}. */
export interface RunScenariosOptions {
  /** Trace every scenario into this sink, one after another in time, each under its file's name. */
  readonly traceSink?: TraceSink;
  /** Called with each result as it is known (for progress output). */
  readonly onResult?: (result: ScenarioResult) => void;
  /**
   * Called after each `migrate` step with vmm's report and the scenario's own trace sink — its
   * simulation from virtual time 0, its hosts and guests under their own names: what `@vfio-sim/report`
   * builds a page from. The sink goes on recording until the scenario ends (then `onResult` is called),
   * and is not touched after: `trace.events.length` now marks where this migration ended.
   */
  readonly onMigration?: (migration: ScenarioMigration, trace: MemoryTraceSink) => void;
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
        : runTraced(loaded.plan, file, trace, options.onMigration);
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

/**
 * Run one planned scenario, traced into the combined trace when there is one. With `onMigration`, the
 * scenario is traced into a sink of its own first (each migration's caller reads it), then replayed into
 * the combined trace: the same events on the same tracks as without it.
 */
function runTraced(
  plan: Plan,
  file: string,
  trace: ScenarioTraceSink | undefined,
  onMigration: RunScenariosOptions['onMigration'],
): ScenarioResult {
  if (onMigration === undefined)
    return runPlan(plan, trace !== undefined ? { traceSink: trace.next(file) } : {});
  const own = new MemoryTraceSink();
  const result = runPlan(plan, {
    traceSink: own,
    onMigration: (m) => onMigration(m, own),
  });
  if (trace !== undefined) replayTrace(own, trace.next(file));
  return result;
}
