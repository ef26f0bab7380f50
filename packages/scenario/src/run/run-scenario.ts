import type { TraceSink } from '@vfio-sim/platform';
import { compareStep } from '../compare/compare-step.js';
import { ScenarioExecutor } from '../execute/executor.js';
import type { Plan } from '../plan/plan.js';
import type { ScenarioError } from '../validate/scenario-error.js';
import type { ScenarioMigration } from './scenario-migration.js';
import type { ScenarioResult, StepFailure } from './scenario-result.js';

/** Options of {@link runPlan}. */
export interface RunOptions {
  /** Where the model's trace events go (every host, guest and the scenario's steps). */
  readonly traceSink?: TraceSink;
  /**
   * Called after each `migrate` step with vmm's report of its migration (before the step is judged, so
   * a failing step's migration is reported too); the simulation is as the migration left it.
   */
  readonly onMigration?: (migration: ScenarioMigration) => void;
}

/**
 * Run a planned scenario: each step executed, then judged against its expectation; the first unmet one
 * ends the run (later steps depend on what earlier ones did). Deterministic: same file, same result.
 */
export function runPlan(plan: Plan, options: RunOptions = {}): ScenarioResult {
  const t0 = performance.now();
  const executor = new ScenarioExecutor(plan, options);
  let failure: StepFailure | undefined;
  let ran = 0;
  const { migrations } = executor.world;
  for (const step of plan.steps) {
    const before = migrations.length;
    const observation = executor.run(step);
    for (const m of migrations.slice(before)) {
      const { index, label, line, column } = step;
      options.onMigration?.({
        file: plan.file,
        scenario: plan.name,
        step: { index, label, line, column },
        ...m,
      });
    }
    const mismatches = compareStep(step.expect, observation);
    ran++;
    if (mismatches.length > 0) {
      const { index, action, label, line, column } = step;
      failure = { index, action, label, line, column, mismatches };
      break;
    }
  }
  return {
    file: plan.file,
    name: plan.name,
    status: failure === undefined ? 'pass' : 'fail',
    steps: plan.steps.length,
    ran,
    failure,
    errors: [],
    virtualUs: executor.world.sim.clock.now(),
    wallMs: performance.now() - t0,
  };
}

/** The result of a file that is not a valid scenario. */
export function invalidResult(file: string, errors: readonly ScenarioError[]): ScenarioResult {
  return {
    file,
    name: file.split(/[\\/]/).pop() ?? file,
    status: 'error',
    steps: 0,
    ran: 0,
    failure: undefined,
    errors,
    virtualUs: 0,
    wallMs: 0,
  };
}
