import { KernelError, Prng } from '@vfio-sim/platform';
import {
  type GuestDeviceError,
  type GuestJobError,
  type GuestJobResult,
  type GuestVfDriver,
  QM_SQE_STATUS_OK,
  type QmJob,
} from '@vfio-sim/qm-hw';
import { completionStatusCause, hardwareErrorCause, type JobLoss, type JobLossCause } from './job-loss.js';
import { plantedBug } from './planted-bug.js';

/** Which side of a migration a guest driver runs on. */
export type Side = 'source' | 'destination';

/**
 * One accelerator's jobs for a {@link Workload}: how to draw the next job from the workload's seeded
 * generator, and what its output must be, computed directly (node:crypto, node:zlib, bigint) on the
 * same inputs without the device.
 */
export interface WorkloadJobs {
  /** The engine, for a summary (e.g. `ZIP deflate`). */
  readonly engine: string;
  /** How outputs are checked, for a summary (e.g. `node:zlib deflateRawSync`). */
  readonly reference: string;
  /** The next job; every random choice comes from `prng`, so the same seed gives the same jobs. */
  next(prng: Prng): QmJob;
  /** The output the engine must produce for `job`. */
  expected(job: QmJob): Uint8Array;
}

/** The exactly-once verdict over every job of a {@link Workload}. */
export interface WorkloadTally {
  readonly submitted: number;
  readonly submittedOnSource: number;
  readonly submittedOnDestination: number;
  /** Completions handled by the guest driver while it ran on the source. */
  readonly completedOnSource: number;
  /** Completions handled by the guest driver after it resumed on the destination. */
  readonly completedOnDestination: number;
  /** Jobs completed exactly once, with status OK and the expected output. */
  readonly verified: number;
  /** Job ids submitted and never completed (attributed or not). */
  readonly lost: readonly number[];
  /**
   * Jobs that did not complete with their output, each with its cause ({@link JobLossCause}): the
   * guest driver gave up on it after a hardware error, the hardware completed it with a bad status, or
   * the VMM attributed it (a device reset under the guest, a state loaded as "not started").
   */
  readonly losses: readonly JobLoss[];
  /** Job ids never completed and with no cause: lost silently. */
  readonly unattributed: readonly number[];
  /** Job ids completed more than once. */
  readonly duplicated: readonly number[];
  /** Job ids completed with a bad status or a wrong output. */
  readonly corrupt: readonly number[];
  /** Completions for job ids never submitted. */
  readonly unknown: readonly number[];
}

interface JobRecord {
  readonly job: QmJob;
  readonly side: Side;
  readonly results: { readonly result: GuestJobResult; readonly side: Side }[];
  /** The guest driver gave up on it (its first report). */
  error: GuestJobError | undefined;
  /** A cause the VMM attached while it was outstanding (or as it was submitted to a lost device). */
  attributed: JobLossCause | undefined;
  /** The reference output, computed by the first tally that needs it (a job's input does not change). */
  expected: Uint8Array | undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A guest workload with exactly-once accounting: seeded jobs of one accelerator ({@link WorkloadJobs}),
 * every completion any guest driver reports recorded by job id and side, and {@link tally} checking
 * each job completed once, with status OK and the output computed directly for its inputs.
 *
 * Job ids come from the guest driver, whose state lives in guest memory, so they continue across a
 * migration and one id space covers source and destination.
 *
 * Nothing is lost silently: a job the guest driver gives up on ({@link GuestVfDriver.onJobError}) is
 * recorded with its hardware error, and the VMM attaches a cause to the jobs of a device it knows lost
 * them ({@link deviceLost}); {@link tally} lists every loss with its cause and the rest as unattributed.
 *
 * Kernel counterpart: a user of the guest's hisi_zip / hisi_sec2 / hisi_hpre (the crypto API)
 * checking its results.
 */
export class Workload {
  private readonly prng: Prng;
  private readonly records = new Map<number, JobRecord>();
  private readonly strays = new Map<number, number>();
  /** Queue and device errors the watched drivers reported, in order, with the side they ran on. */
  readonly deviceErrors: { readonly side: Side; readonly error: GuestDeviceError }[] = [];
  /** Set once the device under the current driver lost its queues: later jobs there hang too. */
  private lostDevice: JobLossCause | undefined;
  /** The planted bug `drop-destination-completion` dropped its completion (see planted-bug.ts). */
  private dropped = false;

  constructor(
    seed: number,
    /** The accelerator's jobs. */
    readonly jobs: WorkloadJobs,
  ) {
    this.prng = new Prng(seed);
  }

  /**
   * Record every completion, job error and device error `driver` reports from now on, as happening on
   * `side`.
   * A new driver (the guest resumed on a migration's destination) runs on another device: a loss
   * {@link deviceLost} recorded for the previous one no longer applies to new jobs.
   */
  watch(driver: GuestVfDriver, side: Side): void {
    this.lostDevice = undefined;
    driver.onJobDone((result) => this.record(result, side));
    driver.onJobError((error) => {
      const rec = this.records.get(error.jobId);
      if (rec !== undefined && rec.error === undefined) rec.error = error;
    });
    driver.onDeviceError((error) => this.deviceErrors.push({ side, error }));
  }

  /**
   * The device under the guest's driver lost its queues (`cause`): every job outstanding now, and every
   * job submitted there from now on, will never complete unless the hardware still reports it (a
   * completion already written counts). Kernel counterpart: none — the VMM's attribution, from what it
   * knows it did (a reset) or loaded (a state without queues).
   */
  deviceLost(cause: JobLossCause): void {
    this.lostDevice = cause;
    for (const rec of this.records.values())
      if (rec.results.length === 0 && rec.error === undefined && rec.attributed === undefined)
        rec.attributed = cause;
  }

  /**
   * Submit `count` new jobs through `driver` (running on `side`).
   * @returns their job ids.
   * @throws KernelError EINVAL for a count that is not a non-negative integer (nothing submitted);
   * from `GuestVfDriver.submit` (EBUSY when its job buffers are all in use) — the jobs submitted
   * before the failure stay recorded.
   */
  submit(driver: GuestVfDriver, side: Side, count: number): number[] {
    if (!Number.isInteger(count) || count < 0) throw new KernelError('EINVAL', `job count ${count}`);
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const job = this.jobs.next(this.prng);
      const id = driver.submit(job);
      this.records.set(id, {
        job,
        side,
        results: [],
        error: undefined,
        attributed: this.lostDevice,
        expected: undefined,
      });
      ids.push(id);
    }
    return ids;
  }

  /** Jobs submitted and neither completed nor given up on by the driver yet. */
  get outstanding(): number {
    let n = 0;
    for (const job of this.records.values()) if (job.results.length === 0 && job.error === undefined) n++;
    return n;
  }

  /** Completions recorded so far (on both sides). */
  get completed(): number {
    let n = 0;
    for (const job of this.records.values()) n += job.results.length;
    for (const count of this.strays.values()) n += count;
    return n;
  }

  /**
   * Check every job: completed exactly once, status OK, output equal to the expected one; every other
   * job is a loss with its cause, or unattributed.
   */
  tally(): WorkloadTally {
    let submittedOnSource = 0;
    let completedOnSource = 0;
    let completedOnDestination = 0;
    let verified = 0;
    const lost: number[] = [];
    const duplicated: number[] = [];
    const corrupt: number[] = [];
    const losses: JobLoss[] = [];
    const unattributed: number[] = [];
    for (const [id, rec] of this.records) {
      if (rec.side === 'source') submittedOnSource++;
      for (const r of rec.results) {
        if (r.side === 'source') completedOnSource++;
        else completedOnDestination++;
      }
      if (rec.results.length === 0) {
        lost.push(id);
        const cause = rec.error !== undefined ? hardwareErrorCause(rec.error) : rec.attributed;
        if (cause !== undefined) losses.push({ jobId: id, side: rec.side, cause });
        else unattributed.push(id);
      }
      if (rec.results.length > 1) duplicated.push(id);
      const first = rec.results[0]?.result;
      if (rec.results.length === 1 && first !== undefined && first.status !== QM_SQE_STATUS_OK)
        losses.push({
          jobId: id,
          side: rec.side,
          cause: completionStatusCause(first.status, first.completedAt),
        });
      const bad = rec.results.some(
        ({ result }) => result.status !== QM_SQE_STATUS_OK || !sameBytes(this.expected(rec), result.output),
      );
      if (bad) corrupt.push(id);
      if (rec.results.length === 1 && !bad) verified++;
    }
    return {
      submitted: this.records.size,
      submittedOnSource,
      submittedOnDestination: this.records.size - submittedOnSource,
      completedOnSource,
      completedOnDestination,
      verified,
      lost,
      losses,
      unattributed,
      duplicated,
      corrupt,
      unknown: [...this.strays.keys()],
    };
  }

  /** A job's reference output: computed once per job, and only for a job with an output to compare. */
  private expected(rec: JobRecord): Uint8Array {
    if (rec.expected === undefined) rec.expected = this.jobs.expected(rec.job);
    return rec.expected;
  }

  private record(result: GuestJobResult, side: Side): void {
    if (side === 'destination' && !this.dropped && plantedBug() === 'drop-destination-completion') {
      this.dropped = true;
      return;
    }
    const rec = this.records.get(result.jobId);
    if (rec === undefined) this.strays.set(result.jobId, (this.strays.get(result.jobId) ?? 0) + 1);
    else rec.results.push({ result, side });
  }
}
