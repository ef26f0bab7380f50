import type { QmKind } from '@vfio-sim/qm-hw';
import { hpreJobs } from './hpre-jobs.js';
import { secJobs } from './sec-jobs.js';
import { Workload, type WorkloadJobs } from './workload.js';
import { zipDeflateJobs } from './zip-jobs.js';

/** The accelerator kinds, in the order the CLI lists them; ZIP is the demo's default. */
export const ACCEL_KINDS: readonly QmKind[] = ['zip', 'sec', 'hpre'];

/** The default jobs of each accelerator kind. */
export function accelJobs(kind: QmKind): WorkloadJobs {
  switch (kind) {
    case 'zip':
      return zipDeflateJobs();
    case 'sec':
      return secJobs();
    case 'hpre':
      return hpreJobs();
  }
}

/**
 * A seeded {@link Workload} for a guest using a VF of `kind`: ZIP deflate, the SEC cipher/hash mix or
 * HPRE modular exponentiation, with their default sizes.
 *
 * Kernel counterpart: a user of the guest's hisi_zip / hisi_sec2 / hisi_hpre.
 */
export function createAccelWorkload(kind: QmKind, seed: number): Workload {
  return new Workload(seed, accelJobs(kind));
}
