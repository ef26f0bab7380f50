import type { TraceSink } from '@vfio-sim/platform';
import { compareStep } from '../compare/compare-step.js';
import { ScenarioExecutor } from '../execute/executor.js';
import type { Plan } from '../plan/plan.js';
import type { ScenarioError } from '../validate/scenario-error.js';
import type { ScenarioResult, StepFailure } from './scenario-result.js';

/** Options of {@link runPlan}. */
export interface RunOptions {
  /** Where the model's trace events go (every host, guest and the scenario's steps). */
  readonly traceSink?: TraceSink;
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
  for (const step of plan.steps) {
    const mismatches = compareStep(step.expect, executor.run(step));
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
