import { Workload } from './workload.js';
import { type ZipJobsOptions, zipDeflateJobs } from './zip-jobs.js';

export type { Side, WorkloadTally } from './workload.js';

/** Options of {@link ZipWorkload}. */
export interface ZipWorkloadOptions extends ZipJobsOptions {
  /** Seed of every job's size and content. */
  readonly seed: number;
}

/**
 * A {@link Workload} of ZIP deflate jobs ({@link zipDeflateJobs}): exactly-once accounting, every
 * output checked against node:zlib's `deflateRawSync`.
 *
 * Kernel counterpart: a user of the guest's hisi_zip (the acomp API) checking its results.
 */
export class ZipWorkload extends Workload {
  /** @throws KernelError EINVAL for an empty or negative size range. */
  constructor(options: ZipWorkloadOptions) {
    super(options.seed, zipDeflateJobs(options));
  }
}
