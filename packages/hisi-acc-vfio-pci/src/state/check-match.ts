import { KernelError } from '@vfio-sim/platform';
import { QM_QUE_ISO_CFG_V, type QmVft, qmGetVftV2 } from '@vfio-sim/qm-hw';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import type { AccVfMatch } from './acc-vf-state.js';

/**
 * Check on the destination that a stream fits this VF, without writing anything: the device id, the
 * queue count against the VF's own VFT (mailbox SQC_VFT_V2 read), and the PF's queue isolation
 * configuration. Returns the VF's queue range.
 *
 * Kernel counterpart: `vf_qm_check_match()`. Differs on purpose: it runs for every stream (no
 * `match_done` short-cut, defect C) and it writes nothing (the kernel ≤ v6.15 wrote QM_VF_STATE here);
 * the restore happens only after every check passed, so a mismatch leaves the destination untouched.
 * @throws KernelError EINVAL naming the mismatch.
 */
export function vfQmCheckMatch(hdev: HisiAccVfCoreDevice, match: AccVfMatch): QmVft {
  if (match.devId !== hdev.pdev.device) {
    throw new KernelError(
      'EINVAL',
      `${hdev.name}: failed to match VF devices (stream 0x${match.devId.toString(16)}, device 0x${hdev.pdev.device.toString(16)})`,
    );
  }
  let vft: QmVft;
  try {
    vft = qmGetVftV2(hdev.vfQm);
  } catch (e) {
    throw new KernelError('EINVAL', `${hdev.name}: failed to get vft qp nums`, { cause: String(e) });
  }
  if (vft.number <= 0 || vft.number !== match.qpNum) {
    throw new KernelError(
      'EINVAL',
      `${hdev.name}: failed to match VF qp num (stream ${match.qpNum}, VFT ${vft.number})`,
    );
  }
  const iso = hdev.pfQm.ioBase.readl(QM_QUE_ISO_CFG_V) >>> 0;
  if (iso !== match.queIsoCfg) {
    throw new KernelError(
      'EINVAL',
      `${hdev.name}: failed to match isolation state (stream ${match.queIsoCfg}, PF ${iso})`,
    );
  }
  return vft;
}
