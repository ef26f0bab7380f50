import type { PlantedBug } from '@vfio-sim/vmm';
import { type CaseResult, judgeCase } from '../judge/judge-case.js';

/** A batch of cases for one worker: which, and how to judge them. */
export interface CaseBatch {
  readonly seed: number;
  readonly indices: readonly number[];
  /** Check determinism (a second run) on every case whose index is a multiple of this (0: never). */
  readonly determinismEvery: number;
  readonly plantBug?: PlantedBug;
}

/** Run and judge a batch of cases, in order (what each worker thread does). */
export function runCaseBatch(batch: CaseBatch): CaseResult[] {
  return batch.indices.map(
    (index) =>
      judgeCase(batch.seed, index, {
        determinism: batch.determinismEvery > 0 && index % batch.determinismEvery === 0,
        ...(batch.plantBug !== undefined ? { plantBug: batch.plantBug } : {}),
      }).result,
  );
}
