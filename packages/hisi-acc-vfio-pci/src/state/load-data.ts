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
  QM_QUE_ISO_CFG_V,
  QM_REG_ADDR_OFFSET,
  QM_VF_AEQ_INT_MASK,
  QM_VF_EQ_INT_MASK,
  QM_VF_STATE,
  qmMb,
  qmWaitMbReady,
} from '@vfio-sim/qm-hw';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import type { AccVfState } from './acc-vf-state.js';
import { qmDevCmdInit } from './start-device.js';

/**
 * Restore a checked state into the destination VF: the queue range and DMA addresses, the VF
 * registers, the EQC/AEQC images, QM_VF_STATE, the SQC/CQC base tables by mailbox, then the PF↔VF
 * channel re-init. A stream with match data only (guest driver not running) restores nothing.
 *
 * Both protocols restore through here and differ only in how they mark a device whose registers were
 * partly written when a later step failed: `onStateLost` runs then (v1: the region's error state; v2:
 * ERROR), before the error is rethrown. A mailbox that is not ready fails before anything is written,
 * so the device keeps its state.
 *
 * Kernel counterpart: `vf_qm_load_data()` + `qm_set_regs()` + `qm_dev_cmd_init()` (v6.16: a stream
 * whose DMA addresses are zero is treated as not ready).
 * @throws KernelError EBUSY if the mailbox is not ready (nothing written); the mailbox errno of
 *   SQC_BT/CQC_BT (after `onStateLost`).
 */
export function vfQmLoadData(hdev: HisiAccVfCoreDevice, state: AccVfState, onStateLost: () => void): void {
  const r = state.regs;
  const qm = hdev.vfQm;
  const restoreQueueRange = () => {
    qm.qpBase = state.match.qpBase;
    qm.qpNum = state.match.qpNum;
  };
  if (r === undefined || r.eqeDma === 0n || r.aeqeDma === 0n || r.sqcDma === 0n || r.cqcDma === 0n) {
    restoreQueueRange();
    hdev.vfQmState = QM_NOT_READY;
    return;
  }
  try {
    qmWaitMbReady(qm);
  } catch (e) {
    throw new KernelError('EBUSY', `${hdev.name}: QM device is not ready to write`, { cause: String(e) });
  }
  try {
    restoreQueueRange();
    qm.eqeDma = Number(r.eqeDma);
    qm.aeqeDma = Number(r.aeqeDma);
    qm.sqcDma = Number(r.sqcDma);
    qm.cqcDma = Number(r.cqcDma);
    const io = qm.ioBase;
    io.writel(QM_VF_AEQ_INT_MASK, r.aeqIntMask);
    io.writel(QM_VF_EQ_INT_MASK, r.eqIntMask);
    io.writel(QM_IFC_INT_SOURCE_V, r.ifcIntSource);
    io.writel(QM_IFC_INT_MASK, r.ifcIntMask);
    io.writel(QM_IFC_INT_SET_V, r.ifcIntSet);
    io.writel(QM_QUE_ISO_CFG_V, state.match.queIsoCfg);
    io.writel(QM_PAGE_SIZE, r.pageSize);
    for (const [i, v] of r.eqcDw.entries()) io.writel(QM_EQC_DW0 + i * QM_REG_ADDR_OFFSET, v);
    for (const [i, v] of r.aeqcDw.entries()) io.writel(QM_AEQC_DW0 + i * QM_REG_ADDR_OFFSET, v);
    io.writel(QM_VF_STATE, state.vfQmState);
    qmMb(qm, QM_MB_CMD_SQC_BT, r.sqcDma, 0, 0);
    qmMb(qm, QM_MB_CMD_CQC_BT, r.cqcDma, 0, 0);
    hdev.baseTablesLoaded = true;
    qmDevCmdInit(hdev);
  } catch (e) {
    onStateLost();
    throw e;
  }
  hdev.vfQmState = state.vfQmState;
}
