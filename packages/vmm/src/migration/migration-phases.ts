import type { Tracer, VirtualClock } from '@vfio-sim/platform';
import type { MigrationPhase, MigrationPhaseName } from '../report/migration-report.js';

/**
 * The phase log of one migration: each phase's start, virtual duration and the bytes it moved, and
 * — when the host traces — a slice per phase on the tracer's track (category `migration`).
 * Recording never advances the clock: a traced run takes the same virtual time as an untraced one.
 *
 * VMM counterpart: QEMU's migration statistics (`query-migrate`: setup-time, downtime, total-time)
 * and its `migration_*` trace events.
 */
export class MigrationPhases {
  private readonly done: MigrationPhase[] = [];
  private name: MigrationPhaseName = 'setup';
  private startUs: number;
  private deviceBytes = 0;
  private guestMemoryBytes = 0;

  /** `onBegin` (default none) is called as each phase begins, before its work. */
  constructor(
    private readonly clock: VirtualClock,
    private readonly tracer: Tracer,
    private readonly onBegin?: (name: MigrationPhaseName) => void,
  ) {
    this.startUs = clock.now();
  }

  /** The phases ended so far. */
  get list(): readonly MigrationPhase[] {
    return this.done;
  }

  /** The phase begun last. */
  get current(): MigrationPhaseName {
    return this.name;
  }

  /** Start phase `name` now (then tell the listener). */
  begin(name: MigrationPhaseName): void {
    this.name = name;
    this.startUs = this.clock.now();
    this.deviceBytes = 0;
    this.guestMemoryBytes = 0;
    this.onBegin?.(name);
  }

  /** Count device-state bytes the source put on the stream in the current phase. */
  addDeviceBytes(bytes: number): void {
    this.deviceBytes += bytes;
  }

  /** Count guest RAM bytes sent in the current phase. */
  addGuestMemoryBytes(bytes: number): void {
    this.guestMemoryBytes += bytes;
  }

  /** End the current phase now. */
  end(): void {
    const phase: MigrationPhase = {
      name: this.name,
      startUs: this.startUs,
      durationUs: this.clock.now() - this.startUs,
      deviceBytes: this.deviceBytes,
      guestMemoryBytes: this.guestMemoryBytes,
    };
    this.done.push(phase);
    if (this.tracer.enabled)
      this.tracer.slice('migration', phase.name, phase.startUs, {
        deviceBytes: phase.deviceBytes,
        guestMemoryBytes: phase.guestMemoryBytes,
      });
  }
}
