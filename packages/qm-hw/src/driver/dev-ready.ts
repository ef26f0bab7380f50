import { pollTimeout } from '@vfio-sim/platform';
import { POLL_PERIOD, POLL_TIMEOUT } from '../regs/mailbox.js';
import { QM_VF_STATE } from '../regs/registers.js';
import type { HisiQm } from './hisi-qm.js';

/**
 * Wait until the VF's driver reports itself running: poll QM_VF_STATE (0x60) bit 0 until it reads 0
 * (QM_READY), every 10 µs for at most 1000 µs (`MB_POLL_PERIOD_US` / `MB_POLL_TIMEOUT_US`).
 *
 * Kernel counterpart: `qm_wait_dev_not_ready()` in hisi_acc_vfio_pci.c (its name means "wait until the
 * NOT_READY bit is clear").
 * @throws KernelError ETIMEDOUT if the guest driver never started (or has stopped).
 */
export function qmWaitDevReady(qm: HisiQm): void {
  pollTimeout(
    qm.clock,
    () => qm.ioBase.readl(QM_VF_STATE),
    (v) => (v & 1) === 0,
    POLL_PERIOD,
    POLL_TIMEOUT,
  );
}

/** Kernel-named alias of {@link qmWaitDevReady}. */
export const qmWaitDevNotReady = qmWaitDevReady;
