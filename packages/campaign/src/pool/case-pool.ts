import { availableParallelism } from 'node:os';
import Tinypool from 'tinypool';
import type { CaseResult } from '../judge/judge-case.js';
import { type CaseBatch, runCaseBatch } from './case-batch.js';

/** Runs batches of cases: on worker threads, or inline on this thread. */
export interface CasePool {
  /** Worker threads (0: inline). */
  readonly threads: number;
  /** Run and judge a batch of cases; the results in the batch's order. */
  run(batch: CaseBatch): Promise<CaseResult[]>;
  /** Stop the worker threads (after the batches given have finished). */
  destroy(): Promise<void>;
}

/** The cores of this machine (Node's `os.availableParallelism()`): `--workers auto`. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/**
 * A pool of `threads` worker threads (tinypool), each running {@link runCaseBatch} on the batches it
 * gets; 0 runs them inline on this thread. From the TypeScript sources (this repository's tests) the
 * workers compile the sources with tsx; from the published build they load `dist/case-worker.js`.
 */
export function createCasePool(threads: number): CasePool {
  if (threads === 0)
    return {
      threads,
      run: async (batch) => runCaseBatch(batch),
      destroy: async () => {},
    };
  const fromSources = import.meta.url.endsWith('.ts');
  const pool = new Tinypool({
    filename: new URL(fromSources ? './source-worker.mjs' : './case-worker.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    ...(fromSources ? { execArgv: ['--conditions=@vfio-sim/source'] } : {}),
  });
  return {
    threads,
    run: (batch) => pool.run(batch) as Promise<CaseResult[]>,
    destroy: () => pool.destroy(),
  };
}
