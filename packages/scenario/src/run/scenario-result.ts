import type { Mismatch } from '../compare/compare-step.js';
import type { Action } from '../plan/plan.js';
import type { ScenarioError } from '../validate/scenario-error.js';

/** The step whose expectation was not met, and how. */
export interface StepFailure {
  readonly index: number;
  readonly action: Action;
  readonly label: string;
  readonly line: number;
  readonly column: number;
  readonly mismatches: readonly Mismatch[];
}

/**
 * One scenario file's outcome: `pass` (every step met its expectation), `fail` (a step did not: the
 * run stopped there), or `error` (the file is not a valid scenario: nothing ran).
 */
export interface ScenarioResult {
  readonly file: string;
  /** The scenario's `name:` (the file name when it did not load). */
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'error';
  /** Steps in the file, and steps run (all of them on a pass). */
  readonly steps: number;
  readonly ran: number;
  readonly failure: StepFailure | undefined;
  /** Why the file is not a valid scenario (status `error`). */
  readonly errors: readonly ScenarioError[];
  /** Virtual time the scenario ended at (µs). */
  readonly virtualUs: number;
  /** Wall-clock time it took (ms): a figure for reports, never asserted. */
  readonly wallMs: number;
}

/** The outcome of a run of several scenarios, and the exit status it means. */
export interface RunSummary {
  readonly results: readonly ScenarioResult[];
  readonly passed: number;
  readonly failed: number;
  readonly errors: number;
  /** Steps run, all scenarios together. */
  readonly steps: number;
  readonly wallMs: number;
  /** 0: every expectation met; 1: an expectation failed; 2: a file is not a valid scenario (or none given). */
  readonly exitCode: 0 | 1 | 2;
}

/** Count results into a summary with its exit status. */
export function summarize(results: readonly ScenarioResult[], wallMs: number): RunSummary {
  const count = (s: ScenarioResult['status']) => results.filter((r) => r.status === s).length;
  const errors = count('error');
  const failed = count('fail');
  return {
    results,
    passed: count('pass'),
    failed,
    errors,
    steps: results.reduce((n, r) => n + r.ran, 0),
    wallMs,
    exitCode: errors > 0 || results.length === 0 ? 2 : failed > 0 ? 1 : 0,
  };
}
