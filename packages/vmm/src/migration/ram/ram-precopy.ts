import { KernelError, PAGE_SIZE, Tracer, type VirtualClock } from '@vfio-sim/platform';
import type { MigrationLink } from '../../link/link.js';
import { PageBitmap } from '../../vm/page-bitmap.js';
import type { Vm } from '../../vm/vm.js';
import type { DirtySync, DirtySyncResult } from './dirty-sync.js';
import { sendRamPages } from './ram-pages.js';

/**
 * Default downtime limit for RAM (µs of virtual time). QEMU's default is 300 ms for real guests;
 * the demo's guest touches a few hundred KiB, so the limit is scaled down with it: 50 µs is about
 * 15 pages at 10 Gbit/s.
 */
export const RAM_DOWNTIME_LIMIT_US = 50;
/** Default most pre-copy rounds (round 0, the bulk pass, included). */
export const RAM_MAX_ROUNDS = 10;

/** Tuning of {@link RamPrecopy}. */
export interface RamPrecopyOptions {
  /** Stop iterating once the remaining dirty pages would take at most this long to send (µs). */
  readonly downtimeLimitUs?: number;
  /** Most pre-copy rounds, round 0 included (≥ 1); stop-and-copy follows even if not converged. */
  readonly maxRounds?: number;
}

/** One pass over RAM: the pages sent, then the dirty sync after them. */
export interface RamRound {
  /** 0 is the bulk pass (every touched page); the last round of a migration is the one while stopped. */
  readonly round: number;
  /** Whether the VM was stopped (the final pass, in the downtime). */
  readonly stopped: boolean;
  readonly startUs: number;
  readonly durationUs: number;
  readonly pagesSent: number;
  /** What the sync after the send found (for the stopped round: the final sync, before the send). */
  readonly cpuDirtyPages: number;
  readonly dmaDirtyPages: number;
  readonly bothDirtyPages: number;
  /** Dirty pages left to send after the round. */
  readonly remainingPages: number;
  /** QEMU's estimate: remaining bytes / bandwidth (µs). */
  readonly expectedDowntimeUs: number;
}

/**
 * The limits of `options` with the defaults ({@link RAM_DOWNTIME_LIMIT_US}, {@link RAM_MAX_ROUNDS})
 * filled in, unchecked ({@link checkRamPrecopyOptions} checks them).
 */
export function ramPrecopyLimits(options: RamPrecopyOptions = {}): Required<RamPrecopyOptions> {
  return {
    downtimeLimitUs: options.downtimeLimitUs ?? RAM_DOWNTIME_LIMIT_US,
    maxRounds: options.maxRounds ?? RAM_MAX_ROUNDS,
  };
}

/**
 * Check {@link RamPrecopyOptions} before a migration touches anything; returns the limits with the
 * defaults filled in ({@link ramPrecopyLimits}).
 *
 * VMM counterpart: QEMU's `migrate_params_check` (downtime-limit range) for the values it has; the
 * round limit is the model's own.
 * @throws KernelError EINVAL for a negative or non-finite downtime limit, or a round limit that is not
 *   a positive integer.
 */
export function checkRamPrecopyOptions(options: RamPrecopyOptions = {}): Required<RamPrecopyOptions> {
  const limits = ramPrecopyLimits(options);
  const { downtimeLimitUs: limit, maxRounds: rounds } = limits;
  if (!(Number.isFinite(limit) && limit >= 0))
    throw new KernelError('EINVAL', `downtime limit ${limit} µs is not a non-negative number`);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new KernelError('EINVAL', `round limit ${rounds} is not a positive integer`);
  return limits;
}

/**
 * Iterative pre-copy of guest RAM with dirty tracking, as QEMU's RAM migration does it:
 *
 * - {@link setup}: dirty tracking starts (CPU log and IOMMU, cleared), every touched page is pending;
 * - {@link iterate}: round 0 sends all pending pages while the guest runs, then each round reads and
 *   clears both dirty sources and — unless the remaining dirty set would be sent within the downtime
 *   limit (expected downtime = remaining bytes / bandwidth ≤ limit), or the round limit is reached —
 *   resends them;
 * - {@link complete} (VM and device stopped): the final sync and the remaining dirty pages; tracking
 *   stops.
 *
 * VMM counterpart: QEMU's `ram_save_setup` / `ram_save_iterate` / `ram_save_complete` with
 * `migration_bitmap_sync`, and `migration_iteration_run`'s convergence check (threshold = bandwidth ×
 * downtime-limit).
 */
export class RamPrecopy {
  readonly downtimeLimitUs: number;
  readonly maxRounds: number;
  private readonly pending: PageBitmap;
  private readonly roundsDone: RamRound[] = [];
  private convergedFlag = false;
  private bytesBeforeStop = 0;
  private readonly tracer: Tracer;

  /**
   * `tracer` (default none) gets a slice per round and a `RAM pages` counter sample after each (sent,
   * CPU-dirty, DMA-dirty, left); tracing does not change the rounds.
   * @throws KernelError EINVAL for bad options ({@link checkRamPrecopyOptions}).
   */
  constructor(
    private readonly src: Vm,
    private readonly dst: Vm,
    private readonly link: MigrationLink,
    private readonly dirty: DirtySync,
    options: RamPrecopyOptions = {},
    tracer?: Tracer,
  ) {
    const limits = checkRamPrecopyOptions(options);
    this.tracer = tracer ?? Tracer.disabled(src.clock);
    this.downtimeLimitUs = limits.downtimeLimitUs;
    this.maxRounds = limits.maxRounds;
    this.pending = new PageBitmap(src.memory.size / PAGE_SIZE);
  }

  /** The rounds so far (the stopped one last, after {@link complete}). */
  get rounds(): readonly RamRound[] {
    return this.roundsDone;
  }

  /** Whether the pre-copy rounds ended under the downtime limit (not by the round limit). */
  get converged(): boolean {
    return this.convergedFlag;
  }

  /** Guest RAM bytes sent while the VM ran. */
  get precopyBytes(): number {
    return this.bytesBeforeStop;
  }

  /** Bytes of bitmap the pending set holds (sparse: by what guest RAM holds, not by its size). */
  get pendingBitmapBytes(): number {
    return this.pending.byteLength;
  }

  /** Bytes of the dirty pages not sent yet (QEMU's `ram_bytes_remaining`). */
  get remainingBytes(): number {
    return this.pending.count() * PAGE_SIZE;
  }

  /** Start dirty tracking; mark every touched page pending. @throws KernelError from the ioctls. */
  setup(): void {
    this.dirty.start();
    const pending = this.pending;
    pending.reset();
    this.src.memory.forEachPopulatedPage((pfn) => pending.set(pfn));
  }

  /**
   * The pre-copy rounds, the guest running: send, sync, until converged or {@link maxRounds}.
   * @throws KernelError from a sync.
   */
  iterate(): void {
    for (let round = 0; round < this.maxRounds; round++) {
      const row = this.round();
      if (row.expectedDowntimeUs <= this.downtimeLimitUs) {
        this.convergedFlag = true;
        return;
      }
    }
  }

  /**
   * One pre-copy round, the guest running: send the pending pages (round 0: every touched page),
   * then read and clear both dirty sources. The caller decides whether to go on — {@link iterate}
   * alone, or a VMM that interleaves other devices' iterations with the rounds.
   * @throws KernelError from the sync.
   */
  round(): RamRound {
    const clock = this.src.clock;
    const startUs = clock.now();
    const sent = this.sendPending();
    this.bytesBeforeStop += sent * PAGE_SIZE;
    const found = this.dirty.sync(this.pending);
    return this.record(this.roundsDone.length, false, startUs, clock, sent, found);
  }

  /**
   * Record that the rounds ended under the downtime limit by a caller's own rule (a VMM that adds
   * other devices' pending bytes to the estimate).
   */
  markConverged(): void {
    this.convergedFlag = true;
  }

  /**
   * With the VM and its device stopped: the final sync, then every page still dirty; tracking stops
   * and the dirty sync gives back its memory ({@link DirtySync.close}), as does the pending bitmap.
   * Returns the pages sent while stopped.
   * @throws KernelError from the sync or the ioctls.
   */
  complete(): number {
    const clock = this.src.clock;
    const startUs = clock.now();
    const found = this.dirty.sync(this.pending);
    const sent = this.sendPending();
    try {
      this.dirty.stop();
      this.record(this.roundsDone.length, true, startUs, clock, sent, found);
    } finally {
      this.release();
    }
    return sent;
  }

  /**
   * Stop tracking after a failed migration and give the memory back (errors ignored: the first error
   * is the one reported).
   */
  abort(): void {
    try {
      this.dirty.stop();
    } catch {
      // the migration's own error is reported
    }
    this.release();
  }

  /** The dirty sync's heap bitmap and the bitmaps' chunks go back (QEMU's `ram_save_cleanup`). */
  private release(): void {
    this.dirty.close();
    this.pending.reset();
  }

  private sendPending(): number {
    const sent = sendRamPages(this.src.memory, this.dst.memory, this.pending, this.link);
    this.pending.clear();
    return sent;
  }

  private record(
    round: number,
    stopped: boolean,
    startUs: number,
    clock: VirtualClock,
    pagesSent: number,
    found: DirtySyncResult,
  ): RamRound {
    const remainingPages = this.pending.count();
    const row: RamRound = {
      round,
      stopped,
      startUs,
      durationUs: clock.now() - startUs,
      pagesSent,
      ...found,
      remainingPages,
      expectedDowntimeUs: Math.ceil((remainingPages * PAGE_SIZE) / this.link.bytesPerUs),
    };
    this.roundsDone.push(row);
    if (this.tracer.enabled) {
      this.tracer.slice('migration.ram', stopped ? 'RAM final round' : `RAM round ${round}`, startUs, {
        pagesSent,
        remainingPages,
      });
      this.tracer.counter('migration.ram', 'RAM pages', {
        sent: pagesSent,
        cpuDirty: found.cpuDirtyPages,
        dmaDirty: found.dmaDirtyPages,
        left: remainingPages,
      });
    }
    return row;
  }
}
