import { KernelError, MemoryTraceSink } from '@vfio-sim/platform';
import {
  type DeviceEntry,
  DeviceFingerprint,
  OBSERVABLE,
  type Observation,
  type ObservedMigration,
  type PlannedStep,
  planDocument,
  type ScenarioDocument,
  ScenarioExecutor,
} from '@vfio-sim/scenario';
import { verdictProblems } from '@vfio-sim/vmm';
import { type CampaignCase, expectsMultipleDevicesBlocker } from '../case/campaign-case.js';
import { type CaseStep, caseSteps, type ScenarioStep } from '../case/case-steps.js';
import type { InvariantName, Violation } from './invariants.js';
import {
  fingerprintsAsBuilt,
  fingerprintsAsOpened,
  keepHosts,
  type OpenedWorld,
  openStepKey,
  takeKeptHosts,
} from './kept-hosts.js';

/** What one step did, as far as the judgment and a written scenario need it. */
export interface StepObservation {
  /** `ok` or the errno. */
  readonly errno: string;
  /** A failed hostile step: `true` if nothing changed, else what changed. */
  readonly unchanged?: true | string;
  /** A failed hostile step: whether it left the device in the documented ERROR state. */
  readonly inError?: boolean;
}

/** What the migration of a case did. */
export interface CaseMigration {
  readonly verdict: string;
  readonly outcome: 'migrated' | 'aborted';
  /** The migration's error (`errno` at `phase`), or null. */
  readonly errno: string | null;
  readonly phase: string | null;
  readonly jobs: { readonly submitted: number; readonly verified: number; readonly lost: number };
}

/** A case run and judged. */
export interface CaseRun {
  readonly case: CampaignCase;
  /** The hosts and steps it took, in the scenario language. */
  readonly hosts: ScenarioDocument['hosts'];
  readonly steps: readonly CaseStep[];
  /** One per step run (a run stops after a failed setup step or a crash). */
  readonly observations: readonly StepObservation[];
  readonly migration: CaseMigration | null;
  /** Empty: every invariant held. */
  readonly violations: readonly Violation[];
  /** The model's trace and the observations as one string (only when asked for). */
  readonly trace: string | undefined;
  /** It ran on hosts a previous case left as they were built (a uAPI case without a trace). */
  readonly reusedHosts: boolean;
  /**
   * It ran on the device a previous case opened and left as opened (the world rewound and compared by
   * fingerprint), its opening step not run again.
   */
  readonly reusedDevice: boolean;
}

/** Options of {@link runCase}. */
export interface RunCaseOptions {
  /** Record the model's trace (for the determinism check): slower, and on hosts built for the case. */
  readonly trace?: boolean;
  /**
   * A uAPI case may run on the hosts a previous one left, when their fingerprints show them exactly as
   * built — or on the device it left open, when the world rewound is exactly as opened — and leaves its
   * own for the next (default true; never with a trace).
   */
  readonly reuseHosts?: boolean;
}

/** v2 ERROR and the v1 error state (SAVING | RESUMING). */
const VFIO_DEVICE_STATE_ERROR = 0;
const V1_ERROR = 6;

/**
 * Run a case against the model through `@vfio-sim/scenario`'s executor and judge it by the invariants
 * ({@link InvariantName}): each setup step must succeed; each hostile step may fail, but only with a
 * KernelError, leaving everything as it was or the device in ERROR; the migration must not be silent,
 * must keep RAM identical when it switched over, must prove its verdict, and must meet QEMU's
 * multiple-devices blocker when the case asks for it. Anything thrown that is not a KernelError is a
 * `kernel-error` violation and ends the run.
 */
export function runCase(c: CampaignCase, options: RunCaseOptions = {}): CaseRun {
  const { hosts, steps } = caseSteps(c);
  const doc: ScenarioDocument = {
    name: 'campaign case',
    hosts,
    steps: steps.map((s) => withObservations(s.step, s.role === 'hostile', c.protocol)),
  };
  const planned = planDocument(doc, 'campaign.yaml');
  if (planned.plan === undefined)
    throw new KernelError(
      'EINVAL',
      `a case the scenario language refuses: ${planned.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    );
  const sink = options.trace === true ? new MemoryTraceSink() : undefined;
  const reusable = c.kind === 'uapi' && sink === undefined && options.reuseHosts !== false;
  const taken = reusable ? takeKeptHosts(planned.plan) : undefined;
  // the world of the previous case, its device still open, if it opened it with this case's first step
  // (else it is not used: its hosts were checked with the device open, not as built)
  const first = planned.plan.steps[0];
  let asOpened: OpenedWorld | undefined =
    taken?.opened !== undefined && first !== undefined && taken.opened.openStep === openStepKey(first)
      ? taken.opened
      : undefined;
  const kept = taken?.opened !== undefined && asOpened === undefined ? undefined : taken;
  let observed: ObservedMigration | undefined;
  const executor = new ScenarioExecutor(planned.plan, {
    ...(sink !== undefined ? { traceSink: sink } : {}),
    ...(asOpened !== undefined ? { world: asOpened.world } : kept !== undefined ? { hosts: kept.hosts } : {}),
    onMigrate: (m) => {
      observed = m;
    },
  });
  const keptOpen = asOpened !== undefined;
  const asBuilt = kept?.asBuilt ?? (reusable ? fingerprintsAsBuilt(executor.world) : undefined);
  let crashed = false;
  const violations: Violation[] = [];
  const observations: StepObservation[] = [];
  const broke = (invariant: InvariantName, step: number, detail: string) =>
    violations.push({ invariant, step, detail });
  let migration: CaseMigration | null = null;
  FINGERPRINTS.forget();
  for (const [i, step] of planned.plan.steps.entries()) {
    const role = steps[i]?.role;
    if (i === 0 && keptOpen) {
      observations.push({ errno: 'ok' }); // opened by the case that left the world as it was opened
      continue;
    }
    let seen: Observation;
    let unchanged: true | string | undefined;
    try {
      // a hostile step's own device (and its VMM process) must not change if the step fails; the
      // rest of the world may (a guest's jobs go on while the step lets virtual time pass)
      const before = role === 'hostile' ? FINGERPRINTS.before(executor, step) : undefined;
      FINGERPRINTS.forget();
      seen = executor.run(step as PlannedStep);
      if (before !== undefined && seen.errno !== 'ok') {
        const after = FINGERPRINTS.after(executor, step);
        unchanged = after === undefined ? 'the device: open → gone' : (after.diff(before) ?? true);
      }
    } catch (e) {
      observations.push({ errno: 'crash' });
      crashed = true;
      broke('kernel-error', i, `${step.action} threw ${describeThrown(e)}`);
      break;
    }
    const observation = observe(seen, role === 'hostile', unchanged);
    observations.push(observation);
    if (role === 'setup' && seen.errno !== 'ok') {
      broke('setup', i, `${step.action} failed: ${seen.message ?? seen.errno}`);
      break;
    }
    if (i === 0 && reusable && step.action === 'open' && !keptOpen)
      asOpened = fingerprintsAsOpened(executor.world, step);
    if (
      role === 'hostile' &&
      seen.errno !== 'ok' &&
      observation.unchanged !== true &&
      observation.inError !== true
    )
      broke(
        'state-after-failure',
        i,
        `${step.action} failed with ${seen.errno} and changed ${String(observation.unchanged)}`,
      );
    if (role === 'migrate') {
      if (seen.errno !== 'ok' || observed === undefined) {
        broke('setup', i, `migrate refused its options: ${seen.message ?? seen.errno}`);
        break;
      }
      migration = judgeMigration(c, observed, i, broke);
    }
  }
  // a crash may have left the model half-way through a call: its hosts are not offered again
  if (asBuilt !== undefined && !crashed) keepHosts(planned.plan, executor.world, asBuilt, asOpened);
  return {
    case: c,
    hosts,
    steps,
    observations,
    migration,
    violations,
    trace: sink === undefined ? undefined : traceText(sink, observations, violations),
    reusedHosts: kept !== undefined,
    reusedDevice: keptOpen,
  };
}

/**
 * The fingerprints a hostile step is judged by (scenario's fingerprint of what its `deviceSnapshot`
 * holds), reused from one step (and case) to the next. A refused step's reading after it is the next
 * step's reading before, if that one is on the same device: nothing runs between two steps, so the two
 * readings swap instead of the device being read again.
 */
class SubjectFingerprints {
  private readonly readings = [new DeviceFingerprint(), new DeviceFingerprint()];
  /** Which reading is the one before. */
  private which = 0;
  /** The device the other reading holds, as it is now (nothing ran since); or undefined. */
  private current: DeviceEntry | undefined;

  /** The reading before `step`, or undefined if it has no device (yet). */
  before(executor: ScenarioExecutor, step: PlannedStep): DeviceFingerprint | undefined {
    const entry = subject(executor, step);
    if (entry === undefined) return undefined;
    if (entry === this.current) this.which = 1 - this.which;
    else this.readings[this.which]!.take(entry);
    return this.readings[this.which];
  }

  /** The reading after `step` (it is then the device as it is, until {@link forget}). */
  after(executor: ScenarioExecutor, step: PlannedStep): DeviceFingerprint | undefined {
    const entry = subject(executor, step);
    if (entry === undefined) return undefined;
    this.current = entry;
    return this.readings[1 - this.which]!.take(entry);
  }

  /** Something may run: no reading is the device as it is any more. */
  forget(): void {
    this.current = undefined;
  }
}

const FINGERPRINTS = new SubjectFingerprints();

/** The hostile step's device and VMM process; undefined if the step has no device yet. */
function subject(executor: ScenarioExecutor, step: PlannedStep): DeviceEntry | undefined {
  if (step.subject === undefined) return undefined;
  try {
    return executor.world.device(step.subject);
  } catch (e) {
    if (e instanceof KernelError) return undefined; // not opened (yet), or its guest is gone
    throw e;
  }
}

/** A step with what it must observe for the judgment: a hostile one reads the device state after it. */
function withObservations(step: ScenarioStep, hostile: boolean, protocol: 'v1' | 'v2'): ScenarioStep {
  if (!hostile) return step;
  const action = Object.keys(step).find((k) => k !== 'expect' && k !== 'label') as keyof typeof OBSERVABLE;
  const can = OBSERVABLE[action];
  const expect: Record<string, unknown> = {};
  if (can.includes('state') && protocol === 'v2') expect.state = 'ERROR';
  if (can.includes('v1State') && protocol === 'v1') expect['v1-state'] = 'error';
  return Object.keys(expect).length === 0 ? step : ({ ...step, expect } as ScenarioStep);
}

function observe(seen: Observation, hostile: boolean, unchanged: true | string | undefined): StepObservation {
  if (!hostile || seen.errno === 'ok') return { errno: seen.errno };
  const inError =
    seen.got.state === VFIO_DEVICE_STATE_ERROR ||
    (typeof seen.got.v1State === 'number' && (seen.got.v1State & 7) === V1_ERROR);
  return { errno: seen.errno, ...(unchanged !== undefined ? { unchanged } : {}), inError };
}

/** The migration's invariants; returns what it did. */
function judgeMigration(
  c: CampaignCase,
  m: ObservedMigration,
  step: number,
  broke: (invariant: InvariantName, step: number, detail: string) => void,
): CaseMigration {
  const r = m.report;
  const t = r.proof.jobs;
  if (c.kind === 'migration' && expectsMultipleDevicesBlocker(c)) {
    if (!(r.outcome === 'aborted' && r.error?.errno === 'EOPNOTSUPP' && r.error.phase === 'setup'))
      broke(
        'multiple-devices-blocker',
        step,
        `v2 with ${c.hisiVfs} VF(s) and ${c.mttys} mtty: expected QEMU's multiple-devices blocker (EOPNOTSUPP at setup), got ${r.outcome}${r.error !== null ? ` (${r.error.errno} in ${r.error.phase})` : ''}`,
      );
  }
  if (r.verdict === 'silent' || t.unattributed.length > 0)
    broke(
      'no-silent-loss',
      step,
      `verdict ${r.verdict}: ${r.silent.join('; ') || `unattributed ${t.unattributed.join(', ')}`}`,
    );
  if (r.outcome === 'migrated' && r.proof.ram?.identical !== true)
    broke(
      'ram-identical',
      step,
      `guest RAM differs at the switch-over in ${r.proof.ram?.mismatchedPages.length ?? '?'} page(s)`,
    );
  if (r.verdict !== 'silent') {
    const problems = verdictProblems(r, m.guest, m.source, m.destination);
    if (problems.length > 0) broke('verdict-proven', step, `verdict ${r.verdict}: ${problems.join('; ')}`);
  }
  return {
    verdict: r.verdict,
    outcome: r.outcome,
    errno: r.error?.errno ?? null,
    phase: r.error?.phase ?? null,
    jobs: { submitted: t.submitted, verified: t.verified, lost: t.lost.length },
  };
}

function describeThrown(e: unknown): string {
  if (e instanceof Error)
    return `${e.name}: ${e.message}${e.stack !== undefined ? `\n${e.stack.split('\n').slice(1, 4).join('\n')}` : ''}`;
  return String(e);
}

/** The trace events, the observations and the judgment as one string, bigints as decimal. */
function traceText(
  sink: MemoryTraceSink,
  observations: readonly StepObservation[],
  violations: readonly Violation[],
): string {
  return JSON.stringify({ events: sink.events, observations, violations }, (_, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
}
