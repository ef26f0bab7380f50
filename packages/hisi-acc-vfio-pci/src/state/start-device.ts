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
 * Let the VF run again: if the guest's VF driver was running, re-init the IFC channel and ring an SQ
 * doorbell with index 0 and priority 1 on each of the function's queues — the restart that leaves the
 * PAUSE_QM state and makes the QM fetch from its (restored) contexts.
 *
 * Kernel counterpart: `hisi_acc_vf_start_device()` → `vf_qm_fun_reset()`. Differs on purpose (defect J):
 * the queue count is recorded by every stop (from the PF's VFT), and a function this driver paused is
 * restarted even if its guest driver never loaded, so an aborted source is never left paused.
 */
export function hisiAccVfStartDevice(hdev: HisiAccVfCoreDevice): void {
  if (hdev.vfQmState !== QM_READY && !hdev.paused) return;
  qmDevCmdInit(hdev);
  for (let qn = 0; qn < hdev.vfQm.qpNum; qn++) qmDb(hdev.vfQm, qn, QM_DOORBELL_CMD_SQ, 0, 1);
  hdev.paused = false;
}
