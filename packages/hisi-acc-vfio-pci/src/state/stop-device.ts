import { QM_MB_CMD_PAUSE_QM, qmCacheWb, qmCheckIntState, qmMb } from '@vfio-sim/qm-hw';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';

/**
 * Stop the VF so its state can be read: PAUSE_QM by mailbox (the QM stops fetching SQEs, in-flight jobs
 * finish), the interrupt-state check (PF RAS, VF IFC status/set, the engine status; 100 × 100 µs each),
 * then the SQC/CQC cache write-back (0x204 → 0x208) so the contexts in memory are current. `paused`
 * records that this driver paused the function (the restart owes it a doorbell, defect J).
 *
 * Kernel counterpart: `hisi_acc_vf_stop_device()` (v6.16+ order: cache write-back inside the stop).
 * @throws KernelError the failing step's errno: mailbox EBUSY / ETIMEDOUT / EIO, interrupt state EBUSY
 * (EINVAL for an unknown engine), cache write-back ETIMEDOUT. The caller restarts the function.
 */
export function hisiAccVfStopDevice(hdev: HisiAccVfCoreDevice): void {
  const vfQm = hdev.vfQm;
  hdev.paused = true;
  qmMb(vfQm, QM_MB_CMD_PAUSE_QM, 0, 0, 0);
  qmCheckIntState(vfQm, hdev.pfQm);
  qmCacheWb(vfQm);
}
