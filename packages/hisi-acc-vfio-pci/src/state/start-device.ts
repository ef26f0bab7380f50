import { QM_DOORBELL_CMD_SQ, QM_IFC_INT_MASK, QM_IFC_INT_SOURCE_V, QM_READY, qmDb } from '@vfio-sim/qm-hw';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';

/**
 * Re-open the PF↔VF channel: clear the VF's IFC interrupt source, unmask it.
 * Kernel counterpart: `qm_dev_cmd_init()` in hisi_acc_vfio_pci.c.
 */
export function qmDevCmdInit(hdev: HisiAccVfCoreDevice): void {
  hdev.vfQm.ioBase.writel(QM_IFC_INT_SOURCE_V, 1);
  hdev.vfQm.ioBase.writel(QM_IFC_INT_MASK, 0);
}

/**
 * Let the VF run again: IFC re-init, then SQ doorbells with index 0 and priority 1 — the restart that
 * leaves the PAUSE_QM state and makes the QM fetch from its queue contexts, reloading from the base tables
 * those it does not hold. Only the queues the guest started need it:
 *
 * - After a restore of a running guest's state (the destination): the chip holds no context, so every
 *   queue of the function is restarted and reloads its context from the restored base tables
 *   (`vf_qm_fun_reset` over `qp_num`, as the kernel).
 * - On a source this driver paused: the contexts of the queues the guest started are still on the chip
 *   (PAUSE_QM and the cache write-back keep them), and one restart doorbell (queue 0) resumes them all;
 *   the source's queue count is not needed (upstream never learns it on a source).
 * - Guest driver never started and nothing paused: nothing to do; the kernel returns early too
 *   (`vf_qm_state != QM_READY`).
 *
 * Kernel counterpart: `hisi_acc_vf_start_device()` → `qm_dev_cmd_init()` + `vf_qm_fun_reset()`. Differs on
 * purpose (defect J): a function this driver paused is restarted even if its guest driver never loaded,
 * and on a source (upstream's source has `qp_num` 0 and rings nothing), so an aborted source is never
 * left paused.
 */
export function hisiAccVfStartDevice(hdev: HisiAccVfCoreDevice): void {
  if (hdev.vfQmState !== QM_READY && !hdev.paused) return;
  qmDevCmdInit(hdev);
  const queues = hdev.baseTablesLoaded ? hdev.vfQm.qpNum : 1;
  for (let qn = 0; qn < queues; qn++) qmDb(hdev.vfQm, qn, QM_DOORBELL_CMD_SQ, 0, 1);
  hdev.paused = false;
  hdev.baseTablesLoaded = false;
}
