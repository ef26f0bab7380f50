import {
  formatScenario,
  loadScenario,
  OBSERVABLE,
  runPlan,
  type ScenarioDocument,
  type ScenarioResult,
} from '@vfio-sim/scenario';
import type { CaseStep, ScenarioStep } from '../case/case-steps.js';
import type { InvariantName } from '../judge/invariants.js';
import type { CaseRun } from '../judge/run-case.js';

/** A failing case written as a scenario file. */
export interface FailureScenario {
  readonly invariant: InvariantName;
  /** The scenario (its `expect:`s state the invariants), and as YAML text for `vfio-sim run`. */
  readonly doc: ScenarioDocument;
  readonly text: string;
  /** The step (0-based) at which it must fail, and the expectation fields that say why. */
  readonly step: number;
  readonly fields: readonly string[];
}

/** The fields of a scenario's unmet expectation that show each invariant broken. */
const FIELDS: Readonly<Record<InvariantName, readonly string[]>> = {
  'no-silent-loss': ['verdict', 'jobs.unattributed'],
  'ram-identical': ['ram-identical'],
  'verdict-proven': ['jobs.verified', 'guest-on', 'ram-identical', 'error'],
  'kernel-error': [],
  'state-after-failure': ['unchanged'],
  'multiple-devices-blocker': ['outcome', 'error'],
  deterministic: [],
  setup: ['errno'],
};

/** Where the published schema lies for a file written next to a project's node_modules. */
const SCHEMA = 'node_modules/@vfio-sim/scenario/schema/scenario.schema.json';

/**
 * Write a failing case as a scenario: its steps, and on each the expectation the invariants demand —
 * setup steps succeed; a hostile step fails with the errno it failed with (and the documented ERROR
 * state it reached; `unchanged: true` where it changed its device); the migration is not silent
 * (`verdict: [pass, aborted, attributed-loss]`, `jobs.unattributed: []`), proves its verdict (every job
 * verified and the guest where it belongs), keeps RAM identical when it switched over, and meets QEMU's
 * multiple-devices blocker when the case asks for it. Run by `vfio-sim run`, the file fails at the step
 * where the case broke its first invariant (a model that throws there crashes the run instead).
 *
 * @param from the campaign seed and case index it came from, and how it was shrunk (for the header).
 */
export function failureScenario(
  run: CaseRun,
  from: { readonly seed: number; readonly index: number; readonly note?: string },
): FailureScenario {
  const first = run.violations[0];
  if (first === undefined) throw new TypeError('the case broke no invariant');
  const steps = run.steps.map(
    (s, i) => ({ ...s.step, ...expectationOf(run, s, i, first.step) }) as ScenarioStep,
  );
  const doc: ScenarioDocument = {
    name: `campaign ${from.seed}:${from.index} breaks "${first.invariant}" at step ${first.step + 1}`,
    description: first.detail,
    hosts: run.hosts,
    steps,
  };
  const comment = [
    `Written by vfio-sim campaign: case ${from.seed}:${from.index}${from.note !== undefined ? ` (${from.note})` : ''}.`,
    `It breaks the invariant "${first.invariant}" at step ${first.step + 1}: vfio-sim run fails there.`,
    `Rerun the original case: vfio-sim campaign --replay ${from.seed}:${from.index}`,
  ].join('\n');
  return {
    invariant: first.invariant,
    doc,
    text: formatScenario(doc, { comment, schema: SCHEMA }),
    step: first.step,
    fields: FIELDS[first.invariant],
  };
}

/** The `expect:` of step `i` (none for a setup step: it must succeed). */
function expectationOf(run: CaseRun, s: CaseStep, i: number, failing: number): { expect?: unknown } {
  const seen = run.observations[i];
  const action = Object.keys(s.step).find((k) => k !== 'expect' && k !== 'label') as keyof typeof OBSERVABLE;
  if (s.role === 'hostile') {
    if (seen === undefined || seen.errno === 'ok' || seen.errno === 'crash') return {};
    const can = OBSERVABLE[action];
    const expect: Record<string, unknown> = { errno: seen.errno };
    // The scenario's `unchanged` compares the whole world (a running guest's jobs too), the campaign
    // the step's own device: it is stated only where the case broke it, so that the file fails there.
    if (i === failing && can.includes('unchanged')) expect.unchanged = true;
    else if (seen.inError === true && seen.unchanged !== true) {
      if (can.includes('state') && run.case.protocol === 'v2') expect.state = 'ERROR';
      else if (can.includes('v1State')) expect['v1-state'] = 'error';
    }
    return { expect };
  }
  if (s.role === 'migrate') {
    const m = run.migration;
    const c = run.case;
    const expect: Record<string, unknown> = {
      verdict: ['pass', 'aborted', 'attributed-loss'],
      jobs: {
        unattributed: [],
        ...(m?.verdict === 'pass' || m?.verdict === 'aborted' ? { verified: 'all' } : {}),
      },
    };
    if (m?.verdict === 'pass') expect['guest-on'] = 'destination';
    if (m?.verdict === 'aborted') expect['guest-on'] = 'source';
    if (m?.outcome === 'migrated') expect['ram-identical'] = true;
    if (c.kind === 'migration' && c.protocol === 'v2' && c.hisiVfs > 0 && c.hisiVfs + c.mttys > 1) {
      expect.outcome = 'aborted';
      expect.error = { errno: 'EOPNOTSUPP', phase: 'setup' };
    }
    return { expect };
  }
  return {};
}

/** How a written scenario ran against the model: whether it failed where and as the case did. */
export interface Reproduction {
  readonly reproduced: boolean;
  /** In words: where it failed and on which fields, or what it threw. */
  readonly how: string;
  readonly result: ScenarioResult | undefined;
}

/**
 * Load the written scenario back from its text and run it (as `vfio-sim run` does): it reproduces the
 * case when it fails at the same step on one of the invariant's fields — or, for a `kernel-error`,
 * when the run throws.
 */
export function reproduce(scenario: FailureScenario, file = 'campaign-failure.yaml'): Reproduction {
  const { plan, errors } = loadScenario(file, scenario.text);
  if (plan === undefined)
    return {
      reproduced: false,
      how: `not a valid scenario: ${errors.map((e) => e.message).join('; ')}`,
      result: undefined,
    };
  let result: ScenarioResult;
  try {
    result = runPlan(plan);
  } catch (e) {
    return {
      reproduced: scenario.invariant === 'kernel-error',
      how: `the run threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
      result: undefined,
    };
  }
  const f = result.failure;
  if (f === undefined) return { reproduced: false, how: 'every expectation met', result };
  const fields = f.mismatches.map((m) => m.field);
  const how = `fails at step ${f.index + 1} (line ${f.line}, ${f.action}): ${f.mismatches.map((m) => `${m.field} want ${m.want}, got ${m.got}`).join('; ')}`;
  const reproduced =
    f.index === scenario.step &&
    (scenario.fields.length === 0 ||
      fields.some((x) => scenario.fields.some((w) => x === w || x.startsWith(`${w}.`))));
  return { reproduced, how, result };
}
