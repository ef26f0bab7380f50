import { KernelError, type TimerHandle, type VirtualClock } from '@vfio-sim/platform';
import type { QmFault, QmFunction } from '@vfio-sim/qm-hw';
import type { Host } from '../host/host.js';
import type { MigrationPhaseName } from '../report/migration-report.js';

/** The phases a fault can be armed at, in the order a migration runs them. */
export const MIGRATION_PHASES: readonly MigrationPhaseName[] = [
  'setup',
  'pre-copy',
  'stop',
  'stop-and-copy',
  'guest memory',
  'resume',
  'cleanup',
];

/**
 * A hardware fault to inject during a migration: one of qm-hw's faults ({@link QmFault}), on the
 * guest's accelerator VF (or its PF) on one side, armed when a phase begins or at a virtual time after
 * the migration started, and cleared when the migration is over (or at a later phase).
 */
export interface FaultSpec {
  readonly fault: QmFault;
  /** Which host (default `source`). */
  readonly side?: 'source' | 'destination';
  /** The guest's VF there (default), or the PF of its accelerator. */
  readonly target?: 'vf' | 'pf';
  /** Which of the guest's devices (its index, default 0); it must be an accelerator VF. */
  readonly device?: number;
  /** When: as a phase begins, or `{ us }` after the migration started (virtual time). */
  readonly at: MigrationPhaseName | { readonly us: number };
  /** Cleared as this phase begins (default: when the migration has ended, before the guest settles). */
  readonly clearAt?: MigrationPhaseName;
}

/** A fault as it happened: where and when it was injected, and when it was cleared. */
export interface FaultRecord {
  readonly fault: QmFault;
  readonly side: 'source' | 'destination';
  readonly target: 'vf' | 'pf';
  /** The PCI name of the function the fault went into. */
  readonly function: string;
  /** The phase during which it was injected. */
  readonly phase: MigrationPhaseName;
  readonly injectedUs: number;
  readonly clearedUs: number | null;
}

/** Where a fault lands: the QM function and its PCI name. */
interface FaultTarget {
  readonly fn: QmFunction;
  readonly name: string;
}

/**
 * The faults of one migration, armed on the clock and on phase boundaries.
 *
 * Kernel counterpart: none — a test harness's fault injection (qm-hw's {@link QmFault}s, which the
 * drivers' error paths see as the hardware's answers).
 */
export class FaultPlan {
  private readonly records: FaultRecord[] = [];
  private readonly active: { spec: FaultSpec; target: FaultTarget; record: number }[] = [];
  private readonly timers: TimerHandle[] = [];
  private phase: MigrationPhaseName = 'setup';

  /**
   * Check every spec before anything happens.
   * @throws KernelError EINVAL for an unknown phase, a negative or non-integer time, a device index the
   *   guest does not have, or a device that is not an accelerator VF.
   */
  constructor(
    private readonly specs: readonly FaultSpec[],
    private readonly resolve: (side: 'source' | 'destination', device: number) => { host: Host; vf: string },
    private readonly clock: VirtualClock,
  ) {
    for (const spec of specs) {
      const at = spec.at;
      if (typeof at === 'string') {
        if (!MIGRATION_PHASES.includes(at))
          throw new KernelError('EINVAL', `fault phase '${at}' is not a phase`);
      } else if (!(Number.isInteger(at.us) && at.us >= 0)) {
        throw new KernelError('EINVAL', `fault time ${at.us} µs is not a non-negative integer`);
      }
      if (spec.clearAt !== undefined && !MIGRATION_PHASES.includes(spec.clearAt))
        throw new KernelError('EINVAL', `fault clear phase '${spec.clearAt}' is not a phase`);
      this.target(spec);
    }
  }

  /** Arm the timed faults (`at: { us }`), relative to now: call as the migration starts. */
  armTimed(): void {
    const t0 = this.clock.now();
    for (const spec of this.specs) {
      const at = spec.at;
      if (typeof at !== 'string') this.timers.push(this.clock.at(t0 + at.us, () => this.inject(spec)));
    }
  }

  /** A phase begins: clear what clears here, inject what arms here. */
  onPhase(phase: MigrationPhaseName): void {
    this.phase = phase;
    for (const a of [...this.active]) if (a.spec.clearAt === phase) this.clear(a);
    for (const spec of this.specs) if (spec.at === phase) this.inject(spec);
  }

  /**
   * The migration is over: timed faults not yet due are dropped, every fault still active is cleared.
   * Returns what happened.
   */
  finish(): readonly FaultRecord[] {
    for (const t of this.timers) this.clock.cancel(t);
    this.timers.length = 0;
    for (const a of [...this.active]) this.clear(a);
    return this.records;
  }

  private target(spec: FaultSpec): FaultTarget {
    const { host, vf } = this.resolve(spec.side ?? 'source', spec.device ?? 0);
    if ((spec.target ?? 'vf') === 'pf') return { fn: host.device.pf, name: host.pf.name };
    return { fn: host.qmFunction(vf), name: vf };
  }

  private inject(spec: FaultSpec): void {
    const target = this.target(spec);
    target.fn.faults.inject(spec.fault);
    this.records.push({
      fault: spec.fault,
      side: spec.side ?? 'source',
      target: spec.target ?? 'vf',
      function: target.name,
      phase: this.phase,
      injectedUs: this.clock.now(),
      clearedUs: null,
    });
    this.active.push({ spec, target, record: this.records.length - 1 });
  }

  private clear(a: { spec: FaultSpec; target: FaultTarget; record: number }): void {
    a.target.fn.faults.clear(a.spec.fault.kind);
    const rec = this.records[a.record] as FaultRecord;
    this.records[a.record] = { ...rec, clearedUs: this.clock.now() };
    this.active.splice(this.active.indexOf(a), 1);
  }
}
