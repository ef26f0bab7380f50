import { deflateRawSync } from 'node:zlib';
import { KernelError, Prng } from '@vfio-sim/platform';
import {
  type GuestJobResult,
  type GuestVfDriver,
  QM_SQE_OP_ZIP_DEFLATE,
  QM_SQE_STATUS_OK,
} from '@vfio-sim/qm-hw';

/** Which side of a migration a guest driver runs on. */
export type Side = 'source' | 'destination';

/** Options of {@link ZipWorkload}. */
export interface ZipWorkloadOptions {
  /** Seed of every job's size and content. */
  readonly seed: number;
  /** Smallest job input in bytes (default 2 KiB). */
  readonly minBytes?: number;
  /** Largest job input in bytes (default 16 KiB; the guest driver's buffers hold 64 KiB). */
  readonly maxBytes?: number;
}

/** The exactly-once verdict over every job of a {@link ZipWorkload}. */
export interface WorkloadTally {
  readonly submitted: number;
  readonly submittedOnSource: number;
  readonly submittedOnDestination: number;
  /** Completions handled by the guest driver while it ran on the source. */
  readonly completedOnSource: number;
  /** Completions handled by the guest driver after it resumed on the destination. */
  readonly completedOnDestination: number;
  /** Jobs completed exactly once, with status OK and output equal to node:zlib's deflateRawSync. */
  readonly verified: number;
  /** Job ids submitted and never completed. */
  readonly lost: readonly number[];
  /** Job ids completed more than once. */
  readonly duplicated: readonly number[];
  /** Job ids completed with a bad status or a wrong output. */
  readonly corrupt: readonly number[];
  /** Completions for job ids never submitted. */
  readonly unknown: readonly number[];
}

interface JobRecord {
  readonly input: Uint8Array;
  readonly side: Side;
  readonly results: { readonly result: GuestJobResult; readonly side: Side }[];
}

const WORDS = [
  'vfio',
  'migration',
  'queue',
  'doorbell',
  'mailbox',
  'guest',
  'page',
  'dirty',
  'device',
  'state',
  'stop',
  'copy',
  'resume',
  'ring',
  'context',
  'deflate',
  'hisilicon',
  'accelerator',
  'the',
  'a',
].map((w) => new TextEncoder().encode(`${w} `));

/**
 * A guest workload of ZIP deflate jobs with exactly-once accounting: job inputs are seeded
 * pseudo-text (compressible, sizes drawn from the seed), every completion any guest driver reports is
 * recorded by job id and side, and {@link tally} checks each job completed once with the output
 * node:zlib's `deflateRawSync` gives for its input.
 *
 * Job ids come from the guest driver, whose state lives in guest memory, so they continue across a
 * migration and one id space covers source and destination.
 *
 * Kernel counterpart: a user of the guest's hisi_zip (the acomp API) checking its results.
 */
export class ZipWorkload {
  private readonly prng: Prng;
  private readonly minBytes: number;
  private readonly maxBytes: number;
  private readonly jobs = new Map<number, JobRecord>();
  private readonly strays = new Map<number, number>();

  /** @throws KernelError EINVAL for an empty or negative size range. */
  constructor(options: ZipWorkloadOptions) {
    this.prng = new Prng(options.seed);
    this.minBytes = options.minBytes ?? 2048;
    this.maxBytes = options.maxBytes ?? 16384;
    if (!(this.minBytes >= 1 && this.maxBytes >= this.minBytes && Number.isSafeInteger(this.maxBytes))) {
      throw new KernelError('EINVAL', `job sizes [${this.minBytes}, ${this.maxBytes}] are not a range`);
    }
  }

  /** Record every completion `driver` reports from now on as happening on `side`. */
  watch(driver: GuestVfDriver, side: Side): void {
    driver.onJobDone((result) => this.record(result, side));
  }

  /**
   * Submit `count` new jobs through `driver` (running on `side`).
   * @returns their job ids.
   * @throws KernelError from `GuestVfDriver.submit` (EBUSY when its job buffers are all in use); the
   * jobs submitted before the failure stay recorded.
   */
  submit(driver: GuestVfDriver, side: Side, count: number): number[] {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const input = this.nextInput();
      const id = driver.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input });
      const job: JobRecord = { input, side, results: [] };
      this.jobs.set(id, job);
      ids.push(id);
    }
    return ids;
  }

  /** Jobs submitted and not completed yet. */
  get outstanding(): number {
    let n = 0;
    for (const job of this.jobs.values()) if (job.results.length === 0) n++;
    return n;
  }

  /** Completions recorded so far (on both sides). */
  get completed(): number {
    let n = 0;
    for (const job of this.jobs.values()) n += job.results.length;
    for (const count of this.strays.values()) n += count;
    return n;
  }

  /** Check every job: completed exactly once, status OK, output equal to `deflateRawSync(input)`. */
  tally(): WorkloadTally {
    let submittedOnSource = 0;
    let completedOnSource = 0;
    let completedOnDestination = 0;
    let verified = 0;
    const lost: number[] = [];
    const duplicated: number[] = [];
    const corrupt: number[] = [];
    for (const [id, job] of this.jobs) {
      if (job.side === 'source') submittedOnSource++;
      for (const r of job.results) {
        if (r.side === 'source') completedOnSource++;
        else completedOnDestination++;
      }
      if (job.results.length === 0) lost.push(id);
      if (job.results.length > 1) duplicated.push(id);
      const expected = deflateRawSync(job.input);
      const bad = job.results.some(
        ({ result }) => result.status !== QM_SQE_STATUS_OK || !expected.equals(result.output),
      );
      if (bad) corrupt.push(id);
      if (job.results.length === 1 && !bad) verified++;
    }
    return {
      submitted: this.jobs.size,
      submittedOnSource,
      submittedOnDestination: this.jobs.size - submittedOnSource,
      completedOnSource,
      completedOnDestination,
      verified,
      lost,
      duplicated,
      corrupt,
      unknown: [...this.strays.keys()],
    };
  }

  private record(result: GuestJobResult, side: Side): void {
    const job = this.jobs.get(result.jobId);
    if (job === undefined) this.strays.set(result.jobId, (this.strays.get(result.jobId) ?? 0) + 1);
    else job.results.push({ result, side });
  }

  /** Seeded pseudo-text: words of a small vocabulary, so the engine has something to compress. */
  private nextInput(): Uint8Array {
    const out = new Uint8Array(this.prng.int(this.minBytes, this.maxBytes));
    let at = 0;
    while (at < out.length) {
      const word = this.prng.pick(WORDS);
      const n = Math.min(word.length, out.length - at);
      out.set(word.subarray(0, n), at);
      at += n;
    }
    return out;
  }
}
