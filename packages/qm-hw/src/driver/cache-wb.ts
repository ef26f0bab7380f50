import { pollTimeout } from '@vfio-sim/platform';
import { POLL_PERIOD, POLL_TIMEOUT } from '../regs/mailbox.js';
import { QM_CACHE_WB_DONE, QM_CACHE_WB_START } from '../regs/registers.js';
import { QM_HW_V1 } from '../regs/versions.js';
import type { HisiQm } from './hisi-qm.js';

/**
 * Write the function's SQC/CQC caches back to memory: write 1 to QM_CACHE_WB_START (0x204), poll
 * QM_CACHE_WB_DONE (0x208) bit 0 every 10 µs for at most 1000 µs. Nothing to do on V1.
 *
 * Kernel counterpart: `hisi_qm_cache_wb()` in qm.c (which only logs a timeout) and the vfio driver's
 * `vf_qm_cache_wb()` (v6.16+: returns the poll's -ETIMEDOUT; earlier -EINVAL). The model throws.
 * @throws KernelError ETIMEDOUT if the write-back never completes.
 */
export function qmCacheWb(qm: HisiQm): void {
  if (qm.ver === QM_HW_V1) return;
  qm.ioBase.writel(QM_CACHE_WB_START, 1);
  pollTimeout(
    qm.clock,
    () => qm.ioBase.readl(QM_CACHE_WB_DONE),
    (v) => (v & 1) === 1,
    POLL_PERIOD,
    POLL_TIMEOUT,
  );
}
