import { KernelError } from '@vfio-sim/platform';
import type { PlantedBug } from '@vfio-sim/vmm';
import type { CampaignCase } from '../case/campaign-case.js';
import { caseArbitrary } from '../case/case-arbitrary.js';
import { generateCaseValue } from '../case/generate-case.js';
import type { InvariantName } from '../judge/invariants.js';
import { judgeGivenCase } from '../judge/judge-case.js';
import type { CaseRun } from '../judge/run-case.js';

/** Options of {@link shrinkCase}. */
export interface ShrinkOptions {
  /** The invariant the smaller case must still break (default: the first the case breaks). */
  readonly invariant?: InvariantName;
  /** Candidate cases to try at most (default 400). */
  readonly maxTries?: number;
  /** A bug planted in the model while the candidates run (test scaffolding). */
  readonly plantBug?: PlantedBug;
}

/** A failing case made small. */
export interface ShrinkResult {
  readonly seed: number;
  readonly index: number;
  readonly invariant: InvariantName;
  /** The case as generated, and the smallest one found that still breaks the invariant. */
  readonly original: CampaignCase;
  readonly case: CampaignCase;
  /** The smallest case's run (its observations and violations). */
  readonly run: CaseRun;
  /** Scenario steps before and after. */
  readonly originalSteps: number;
  /** Candidates tried, and how many of them were taken (each one smaller). */
  readonly tries: number;
  readonly shrinks: number;
}

/**
 * Shrink case `index` of campaign `seed` with fast-check's shrinkers over the case description: fewer
 * hostile steps, a smaller guest, fewer jobs, no fault or a simpler one, the first choice of each field —
 * greedily, taking the first candidate that still breaks the same invariant, until none does or
 * `maxTries` candidates were run. Deterministic: the same case and options, the same result.
 * @throws KernelError EINVAL if the case breaks no invariant (or not the one asked for).
 */
export function shrinkCase(seed: number, index: number, options: ShrinkOptions = {}): ShrinkResult {
  const maxTries = options.maxTries ?? 400;
  let value = generateCaseValue(seed, index);
  const first = judgeGivenCase(index, value.value, judging(options.invariant, options.plantBug)).run;
  const invariant = options.invariant ?? first.violations[0]?.invariant;
  if (invariant === undefined || !first.violations.some((v) => v.invariant === invariant))
    throw new KernelError(
      'EINVAL',
      `case ${seed}:${index} breaks ${invariant === undefined ? 'no invariant' : `no "${invariant}"`}: nothing to shrink`,
    );
  const fails = (c: CampaignCase): CaseRun | undefined => {
    const { run } = judgeGivenCase(index, c, judging(invariant, options.plantBug));
    return run.violations.some((v) => v.invariant === invariant) ? run : undefined;
  };
  let run = first;
  let tries = 0;
  let shrinks = 0;
  outer: while (tries < maxTries) {
    for (const candidate of caseArbitrary.shrink(value.value, value.context)) {
      if (tries >= maxTries) break outer;
      tries++;
      const smaller = fails(candidate.value);
      if (smaller !== undefined) {
        value = candidate;
        run = smaller;
        shrinks++;
        continue outer;
      }
    }
    break;
  }
  return {
    seed,
    index,
    invariant,
    original: first.case,
    case: value.value,
    run,
    originalSteps: first.steps.length,
    tries,
    shrinks,
  };
}

function judging(invariant: InvariantName | undefined, bug: PlantedBug | undefined) {
  return { determinism: invariant === 'deterministic', ...(bug !== undefined ? { plantBug: bug } : {}) };
}
