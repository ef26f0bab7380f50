import { KernelError } from '@vfio-sim/platform';
import { pfQmGetQpNum, QM_QUE_ISO_CFG_V } from '@vfio-sim/qm-hw';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import type { AccVfMatch } from './acc-vf-state.js';

/**
 * Gather the match data on the source through the PF only (the VF registers are not touched, so this
 * is allowed while the guest runs): the VF's device id, its queue range from the PF's VFT registers
 * and the PF's queue isolation configuration.
 *
 * Kernel counterpart: `vf_qm_get_match_data()` in hisi_acc_vfio_pci.c.
 * @throws KernelError EINVAL if the VFT cannot be read or reports no queues.
 */
export function vfQmGetMatchData(hdev: HisiAccVfCoreDevice): AccVfMatch {
  let vft: { base: number; number: number };
  try {
    vft = pfQmGetQpNum(hdev.pfQm, hdev.vfId);
  } catch (e) {
    throw new KernelError('EINVAL', `${hdev.name}: failed to get vft qp nums`, { cause: String(e) });
  }
  if (vft.number <= 0) throw new KernelError('EINVAL', `${hdev.name}: VFT reports ${vft.number} queues`);
  return {
    qpNum: vft.number,
    devId: hdev.pdev.device,
    queIsoCfg: hdev.pfQm.ioBase.readl(QM_QUE_ISO_CFG_V) >>> 0,
    qpBase: vft.base,
  };
}
