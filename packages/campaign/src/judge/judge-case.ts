import { type PlantedBug, plantBug } from '@vfio-sim/vmm';
import type { CampaignCase } from '../case/campaign-case.js';
import { generateCase } from '../case/generate-case.js';
import type { Violation } from './invariants.js';
import { type CaseRun, runCase } from './run-case.js';

/** What one case of a campaign came to: one line of a results file (no wall-clock time in it). */
export interface CaseResult {
  readonly index: number;
  readonly kind: CampaignCase['kind'];
  /** The case in one line (`describeCase`). */
  readonly describe: string;
  /** Scenario steps the case took. */
  readonly steps: number;
  /** The migration's verdict and outcome (null for a uAPI case, or a run that ended before it). */
  readonly verdict: string | null;
  readonly outcome: string | null;
  /** The migration's errno, or null. */
  readonly errno: string | null;
  /** Hostile steps refused with an errno. */
  readonly refused: number;
  /** Empty: every invariant held. */
  readonly violations: readonly Violation[];
  /** Whether the case ran twice with byte-identical traces (null: not checked). */
  readonly deterministic: boolean | null;
}

/** Options of {@link judgeCase}. */
export interface JudgeCaseOptions {
  /** Run the case twice and compare the traces (costs a second run). */
  readonly determinism?: boolean;
  /** A bug planted in the model while the case runs (test scaffolding: `vmm`'s `plantBug`). */
  readonly plantBug?: PlantedBug;
}

/**
 * Generate case `index` of campaign `seed`, run it and judge it ({@link runCase}); with `determinism`,
 * run it a second time: a different trace or judgment is a `deterministic` violation.
 */
export function judgeCase(
  seed: number,
  index: number,
  options: JudgeCaseOptions = {},
): { result: CaseResult; run: CaseRun } {
  return judgeGivenCase(index, generateCase(seed, index), options);
}

/** {@link judgeCase} for a case given (a shrunk one, say), reported under `index`. */
export function judgeGivenCase(
  index: number,
  c: CampaignCase,
  options: JudgeCaseOptions = {},
): { result: CaseResult; run: CaseRun } {
  plantBug(options.plantBug);
  try {
    const run = runCase(c, { trace: options.determinism === true });
    let violations = run.violations;
    let deterministic: boolean | null = null;
    if (options.determinism === true) {
      const again = runCase(c, { trace: true });
      deterministic = again.trace === run.trace;
      if (!deterministic)
        violations = [
          ...violations,
          {
            invariant: 'deterministic',
            step: -1,
            detail: `the second run's trace differs ${firstDifference(run.trace, again.trace)}`,
          },
        ];
      // a uAPI case runs on kept hosts (and their open device) without a trace: its judgment there must
      // be the one on new hosts
      const kept = c.kind === 'uapi' ? runCase(c) : undefined;
      if (kept?.reusedHosts === true && judgment(kept) !== judgment(run)) {
        deterministic = false;
        violations = [
          ...violations,
          {
            invariant: 'deterministic',
            step: -1,
            detail: `on hosts kept from a previous case it is judged otherwise ${firstDifference(judgment(run), judgment(kept))}`,
          },
        ];
      }
    }
    return { result: resultOf(index, run, violations, deterministic), run: { ...run, violations } };
  } finally {
    plantBug(undefined);
  }
}

function resultOf(
  index: number,
  run: CaseRun,
  violations: readonly Violation[],
  deterministic: boolean | null,
): CaseResult {
  const m = run.migration;
  return {
    index,
    kind: run.case.kind,
    describe: describeCase(run.case),
    steps: run.steps.length,
    verdict: m?.verdict ?? null,
    outcome: m?.outcome ?? null,
    errno: m?.errno ?? null,
    refused: run.observations.filter((o, i) => run.steps[i]?.role === 'hostile' && o.errno !== 'ok').length,
    violations,
    deterministic,
  };
}

/** What a run observed and concluded, as one string. */
function judgment(run: CaseRun): string {
  return JSON.stringify([run.observations, run.migration, run.violations]);
}

/** Where two traces first differ (a few characters of context). */
function firstDifference(a = '', b = ''): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `at character ${i}: …${a.slice(Math.max(0, i - 40), i + 40)}… vs …${b.slice(Math.max(0, i - 40), i + 40)}…`;
}

/**
 * A case in one line: `migration v2 zip arm-smmuv3-s1, 1 VF + 1 mtty, 4 jobs, fault mb-error source vf
 * @stop, 2 hostile` or `uapi v1 sec vtd-ss, 5 requests`.
 */
export function describeCase(c: CampaignCase): string {
  const head = `${c.kind} ${c.protocol} ${c.accel} ${c.iommu}`;
  if (c.kind === 'uapi')
    return `${head}, ${c.steps.length} request(s): ${c.steps.map((s) => s.op).join(' ')}`;
  const devices = [c.hisiVfs > 0 ? `${c.hisiVfs} VF` : '', c.mttys > 0 ? `${c.mttys} mtty` : '']
    .filter((d) => d !== '')
    .join(' + ');
  const f = c.fault;
  const fault =
    f === null
      ? 'no fault'
      : f.on === 'qm'
        ? `fault ${f.kind} ${f.side} ${f.target} @${typeof f.at === 'string' ? f.at : `${f.at.us}us`}`
        : `link ${f.kind} section ${f.section}${f.phase !== undefined ? ` of ${f.phase}` : ''}`;
  const hostile = c.hostile.length > 0 ? `, hostile: ${c.hostile.map((s) => s.op).join(' ')}` : '';
  return `${head}, ${devices}, ${c.jobs}+${c.limit} jobs, ${c.extraMiB} MiB extra (${c.touchedPages} pages written), pre-copy ${c.precopy ? 'on' : 'off'}, ${fault}${hostile}`;
}
