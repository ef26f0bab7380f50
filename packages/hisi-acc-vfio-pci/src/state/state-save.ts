import { KernelError } from '@vfio-sim/platform';
import {
  QM_AEQC_DW0,
  QM_EQC_DW0,
  QM_IFC_INT_MASK,
  QM_IFC_INT_SET_V,
  QM_IFC_INT_SOURCE_V,
  QM_MB_CMD_CQC_BT,
  QM_MB_CMD_SQC_BT,
  QM_NOT_READY,
  QM_PAGE_SIZE,
  QM_READY,
  QM_REG_ADDR_OFFSET,
  QM_VF_AEQ_INT_MASK,
  QM_VF_EQ_INT_MASK,
  qmMbRead,
  qmWaitDevNotReady,
} from '@vfio-sim/qm-hw';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import { type AccVfMatch, type AccVfRegs, type AccVfState, xqcDmaAddr } from './acc-vf-state.js';

/** Dwords of one EQC/AEQC image in the migration half of BAR2. */
const QM_XQC_DWORDS = 7;

/**
 * Save the stopped VF's state: if the guest's VF driver never reported ready (QM_VF_STATE bit 0 still
 * set after 1 ms) only the match data is sent; otherwise the VF registers, the EQC/AEQC images, the
 * EQE/AEQE ring addresses taken from them, and the SQC/CQC base-table addresses (mailbox SQC_BT/CQC_BT
 * reads).
 *
 * Kernel counterpart: `vf_qm_state_save()` + `qm_get_regs()`. Differs from v5.18–v6.15 on purpose: the
 * EQE/AEQE address is `dw[2] << 32 | dw[1]` (the v6.16 fix, defect D); mailbox failures keep their errno.
 * @throws KernelError the mailbox errno of the SQC_BT/CQC_BT read.
 */
export function vfQmStateSave(hdev: HisiAccVfCoreDevice, match: AccVfMatch): AccVfState {
  const qm = hdev.vfQm;
  try {
    qmWaitDevNotReady(qm);
  } catch (e) {
    if (!(e instanceof KernelError) || e.errno !== 'ETIMEDOUT') throw e;
    hdev.vfQmState = QM_NOT_READY;
    return { match, vfQmState: QM_NOT_READY };
  }
  const io = qm.ioBase;
  const eqcDw = readRegs(hdev, QM_EQC_DW0);
  const aeqcDw = readRegs(hdev, QM_AEQC_DW0);
  const regs: AccVfRegs = {
    aeqIntMask: io.readl(QM_VF_AEQ_INT_MASK) >>> 0,
    eqIntMask: io.readl(QM_VF_EQ_INT_MASK) >>> 0,
    ifcIntSource: io.readl(QM_IFC_INT_SOURCE_V) >>> 0,
    ifcIntMask: io.readl(QM_IFC_INT_MASK) >>> 0,
    ifcIntSet: io.readl(QM_IFC_INT_SET_V) >>> 0,
    pageSize: io.readl(QM_PAGE_SIZE) >>> 0,
    eqcDw,
    aeqcDw,
    eqeDma: xqcDmaAddr(eqcDw),
    aeqeDma: xqcDmaAddr(aeqcDw),
    sqcDma: qmMbRead(qm, QM_MB_CMD_SQC_BT, 0),
    cqcDma: qmMbRead(qm, QM_MB_CMD_CQC_BT, 0),
  };
  hdev.vfQmState = QM_READY;
  return { match, vfQmState: QM_READY, regs };
}

function readRegs(hdev: HisiAccVfCoreDevice, base: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < QM_XQC_DWORDS; i++)
    out.push(hdev.vfQm.ioBase.readl(base + i * QM_REG_ADDR_OFFSET) >>> 0);
  return out;
}
