import { errnoOf, KernelError } from '@vfio-sim/platform';
import type { GuestVfDriver } from '@vfio-sim/qm-hw';
import type { Vm } from '../vm/vm.js';
import type { Side, Workload } from './workload.js';

/** Options of {@link startJobStream}. */
export interface JobStreamOptions {
  readonly vm: Vm;
  readonly driver: GuestVfDriver;
  readonly workload: Workload;
  readonly side: Side;
  /** Virtual time between submissions (µs, ≥ 1). */
  readonly periodUs: number;
  /** Jobs to submit at most. */
  readonly limit: number;
}

/** A running {@link startJobStream}. */
export interface JobStream {
  /** Jobs submitted so far. */
  readonly submitted: number;
  /** Submission attempts skipped: every job buffer busy (EBUSY) or the queue stopped (EAGAIN). */
  readonly skippedBusy: number;
}

/**
 * A guest application that keeps the accelerator busy: every `periodUs` of virtual time, while the
 * vCPUs run, it submits one more job through `driver` (its CPU writes — input buffer, SQE, job
 * record — land in guest RAM, the VF's results arrive by DMA). A tick that finds every job buffer busy
 * (EBUSY) or the queue stopped (EAGAIN) is skipped. The stream ends for good at the first tick after the vCPUs stopped, or after `limit`
 * jobs, so the clock goes idle.
 *
 * Kernel counterpart: a user of the guest's hisi_zip / hisi_sec2 / hisi_hpre submitting at a steady rate.
 * @throws KernelError EINVAL for a period below 1 µs or a negative limit.
 */
export function startJobStream(options: JobStreamOptions): JobStream {
  const { vm, driver, workload, side, periodUs, limit } = options;
  if (!(Number.isInteger(periodUs) && periodUs >= 1) || !(Number.isInteger(limit) && limit >= 0))
    throw new KernelError('EINVAL', `job stream period ${periodUs} µs, limit ${limit}`);
  const state = { submitted: 0, skippedBusy: 0 };
  const tick = (): void => {
    if (!vm.isRunning || state.submitted >= limit) return;
    const errno = errnoOf(() => workload.submit(driver, side, 1));
    if (errno === undefined) state.submitted++;
    else if (errno === 'EBUSY' || errno === 'EAGAIN') state.skippedBusy++;
    else throw new KernelError(errno, `${vm.name}: job stream submit failed`);
    if (state.submitted < limit) vm.clock.after(periodUs, tick);
  };
  if (limit > 0) vm.clock.after(periodUs, tick);
  return state;
}
