import { KernelError } from '@vfio-sim/platform';
import {
  HPRE_HAC_INT_STATUS,
  HZIP_CORE_INT_STATUS,
  QM_ABNORMAL_INT_STATUS,
  QM_IFC_INT_SET_V,
  QM_IFC_INT_STATUS,
  SEC_CORE_INT_STATUS,
} from '../regs/registers.js';
import {
  PCI_DEVICE_ID_HUAWEI_HPRE_VF,
  PCI_DEVICE_ID_HUAWEI_SEC_VF,
  PCI_DEVICE_ID_HUAWEI_ZIP_VF,
} from '../regs/versions.js';
import type { HisiQm } from './hisi-qm.js';

/** Re-reads of a non-zero state register (`ERROR_CHECK_TIMEOUT` in hisi_acc_vfio_pci.h). */
export const ERROR_CHECK_TIMEOUT = 100;
/** µs between two re-reads (`CHECK_DELAY_TIME`). */
export const CHECK_DELAY_TIME = 100;

/**
 * Read a state register; while it is non-zero, wait 100 µs and re-read, at most 100 more times.
 *
 * Kernel counterpart: `qm_check_reg_state()` in hisi_acc_vfio_pci.c.
 * @returns the last value read (0 = quiescent).
 */
export function qmCheckRegState(qm: HisiQm, reg: number): number {
  let state = qm.ioBase.readl(reg) >>> 0;
  let checks = 0;
  while (state !== 0 && checks < ERROR_CHECK_TIMEOUT) {
    qm.clock.udelay(CHECK_DELAY_TIME);
    state = qm.ioBase.readl(reg) >>> 0;
    checks++;
  }
  return state;
}

/** The engine interrupt-status register (on the PF) for a VF device id, or undefined. */
export function engineIntStatusReg(vfDeviceId: number | undefined): number | undefined {
  switch (vfDeviceId) {
    case PCI_DEVICE_ID_HUAWEI_SEC_VF:
      return SEC_CORE_INT_STATUS;
    case PCI_DEVICE_ID_HUAWEI_HPRE_VF:
      return HPRE_HAC_INT_STATUS;
    case PCI_DEVICE_ID_HUAWEI_ZIP_VF:
      return HZIP_CORE_INT_STATUS;
    default:
      return undefined;
  }
}

/**
 * Check that nothing is in flight before a VF's state is saved: the PF's RAS status
 * (QM_ABNORMAL_INT_STATUS), the VF's IFC interrupt status and IFC set registers, then the PF's engine
 * interrupt status for the VF's kind (SEC/HPRE/ZIP by `vfQm.deviceId`). Each register gets the
 * 100 × 100 µs retry of {@link qmCheckRegState}, so a stuck register costs 10 ms of virtual time.
 * Reads only: no register is written.
 *
 * Kernel counterpart: `hisi_acc_check_int_state()` in hisi_acc_vfio_pci.c (RFC: `qm_check_int_state` /
 * `vf_qm_check_int_state`).
 * @throws KernelError EBUSY if a register stays non-zero; EINVAL for an unknown VF device id.
 */
export function qmCheckIntState(vfQm: HisiQm, pfQm: HisiQm): void {
  const checks: ReadonlyArray<readonly [HisiQm, number, string]> = [
    [pfQm, QM_ABNORMAL_INT_STATUS, 'QM RAS state'],
    [vfQm, QM_IFC_INT_STATUS, 'QM IFC INT state'],
    [vfQm, QM_IFC_INT_SET_V, 'QM IFC INT SET state'],
  ];
  for (const [qm, reg, what] of checks) {
    const state = qmCheckRegState(qm, reg);
    if (state !== 0) throw new KernelError('EBUSY', `failed to check ${what}`, { reg, state });
  }
  const engineReg = engineIntStatusReg(vfQm.deviceId);
  if (engineReg === undefined) {
    throw new KernelError('EINVAL', 'failed to detect acc module type', { deviceId: vfQm.deviceId });
  }
  const state = qmCheckRegState(pfQm, engineReg);
  if (state !== 0)
    throw new KernelError('EBUSY', 'failed to check the engine INT state', { reg: engineReg, state });
}
