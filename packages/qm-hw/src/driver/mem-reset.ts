import { pollTimeout } from '@vfio-sim/platform';
import { POLL_PERIOD, POLL_TIMEOUT } from '../regs/mailbox.js';
import { QM_MEM_INIT_DONE, QM_MEM_START_INIT } from '../regs/registers.js';
import type { HisiQm } from './hisi-qm.js';

/**
 * Initialise the QM's internal memory: write QM_MEM_START_INIT, poll QM_MEM_INIT_DONE bit 0.
 * Kernel counterpart: `qm_dev_mem_reset()`.
 * @throws KernelError ETIMEDOUT.
 */
export function qmDevMemReset(qm: HisiQm): void {
  qm.ioBase.writel(QM_MEM_START_INIT, 1);
  pollTimeout(
    qm.clock,
    () => qm.ioBase.readl(QM_MEM_INIT_DONE),
    (v) => (v & 1) === 1,
    POLL_PERIOD,
    POLL_TIMEOUT,
  );
}
