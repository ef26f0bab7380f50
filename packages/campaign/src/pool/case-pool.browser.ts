import type { CaseResult } from '../judge/judge-case.js';
import { type CaseBatch, runCaseBatch } from './case-batch.js';

/** Runs batches of cases: in a browser, always inline on this thread. */
export interface CasePool {
  /** Worker threads (always 0 here). */
  readonly threads: number;
  /** Run and judge a batch of cases; the results in the batch's order. */
  run(batch: CaseBatch): Promise<CaseResult[]>;
  /** Stop the worker threads (after the batches given have finished). */
  destroy(): Promise<void>;
}

/** One: a browser build runs cases on the page's thread. */
export function defaultWorkers(): number {
  return 1;
}

/** The browser build's pool: every batch inline, whatever `threads` asks for (no worker threads). */
export function createCasePool(_threads: number): CasePool {
  return {
    threads: 0,
    run: async (batch) => runCaseBatch(batch),
    destroy: async () => {},
  };
}
