import { errnoOf, KernelError } from '@vfio-sim/platform';
import { type GuestVfDriver, QM_VF_RESET_WAIT_US } from '@vfio-sim/qm-hw';
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
  /**
   * Submission attempts that found every job buffer busy (EBUSY; the application then waits for a job
   * to end) or the queue stopped during a device reset (EAGAIN; it tries again later).
   */
  readonly skippedBusy: number;
  /** Why the stream ended for good, or undefined while it runs. */
  readonly ended: 'limit' | 'vcpus stopped' | 'queue stopped' | undefined;
}

/**
 * A guest application that keeps the accelerator busy: every `periodUs` of virtual time, while the
 * vCPUs run, it submits one more job through `driver` (its CPU writes — input buffer, SQE, job
 * record — land in guest RAM, the VF's results arrive by DMA). When every job buffer is busy (EBUSY)
 * it blocks until one of its driver's jobs ends (completed or failed), as a crypto user waits on its
 * backlog; when the queue is stopped for a device reset (EAGAIN while the driver is resetting) it tries
 * again every `QM_VF_RESET_WAIT_US`; a queue stopped for good (EAGAIN otherwise: a queue error) ends
 * it. It also ends at the first tick after the vCPUs stopped, or after `limit` jobs, so the clock goes
 * idle — a device that never completes again leaves it blocked, not spinning.
 *
 * Kernel counterpart: a user of the guest's hisi_zip / hisi_sec2 / hisi_hpre submitting at a steady rate.
 * @throws KernelError EINVAL for a period below 1 µs or a negative limit.
 */
export function startJobStream(options: JobStreamOptions): JobStream {
  const { vm, driver, workload, side, periodUs, limit } = options;
  if (!(Number.isInteger(periodUs) && periodUs >= 1) || !(Number.isInteger(limit) && limit >= 0))
    throw new KernelError('EINVAL', `job stream period ${periodUs} µs, limit ${limit}`);
  const state: { submitted: number; skippedBusy: number; ended: JobStream['ended'] } = {
    submitted: 0,
    skippedBusy: 0,
    ended: undefined,
  };
  let blocked = false;
  const wake = (): void => {
    if (!blocked || state.ended !== undefined) return;
    blocked = false;
    vm.clock.after(periodUs, tick);
  };
  const tick = (): void => {
    if (!vm.isRunning) {
      state.ended = 'vcpus stopped';
      return;
    }
    const errno = errnoOf(() => workload.submit(driver, side, 1));
    if (errno === 'EBUSY') {
      state.skippedBusy++;
      blocked = true;
      return;
    }
    if (errno === 'EAGAIN') {
      if (!driver.resetting) {
        state.ended = 'queue stopped';
        return;
      }
      state.skippedBusy++;
      vm.clock.after(QM_VF_RESET_WAIT_US, tick);
      return;
    }
    if (errno !== undefined) throw new KernelError(errno, `${vm.name}: job stream submit failed`);
    state.submitted++;
    if (state.submitted >= limit) state.ended = 'limit';
    else vm.clock.after(periodUs, tick);
  };
  if (limit > 0) {
    driver.onJobDone(wake);
    driver.onJobError(wake);
    vm.clock.after(periodUs, tick);
  } else state.ended = 'limit';
  return state;
}
