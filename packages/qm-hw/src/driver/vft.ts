import { KernelError, pollTimeout } from '@vfio-sim/platform';
import { POLL_PERIOD, POLL_TIMEOUT, QM_MB_CMD_SQC_VFT_V2 } from '../regs/mailbox.js';
import {
  QM_CQC_VFT,
  QM_SQC_VFT,
  QM_VFT_CFG,
  QM_VFT_CFG_DATA_H,
  QM_VFT_CFG_DATA_L,
  QM_VFT_CFG_OP_ENABLE,
  QM_VFT_CFG_OP_WR,
  QM_VFT_CFG_RDY,
  QM_VFT_CFG_TYPE,
} from '../regs/registers.js';
import { QM_HW_V1 } from '../regs/versions.js';
import {
  type QmVft,
  qmCqcVftV1Encode,
  qmCqcVftV2Encode,
  qmSqcVftV1Encode,
  qmSqcVftV2Decode,
  qmSqcVftV2Encode,
} from '../regs/vft.js';
import type { HisiQm } from './hisi-qm.js';
import { qmMbRead } from './mailbox.js';

function requirePf(qm: HisiQm, what: string): void {
  if (qm.funType !== 'PF') throw new KernelError('EINVAL', `${qm.name}: ${what} needs the PF's qm`);
}

function rdy(qm: HisiQm): void {
  pollTimeout(
    qm.clock,
    () => qm.ioBase.readl(QM_VFT_CFG_RDY),
    (v) => (v & 1) === 1,
    POLL_PERIOD,
    POLL_TIMEOUT,
  );
}

/**
 * Program one VFT entry (SQC or CQC type) of function `funNum` through the PF's VFT configuration
 * registers: wait RDY, OP_WR = 0 (write), TYPE, CFG = function, DATA_L/H, RDY = 0, OP_ENABLE = 1, wait
 * RDY (10 µs / 1000 µs). `number` 0 clears the entry.
 *
 * Kernel counterpart: `qm_set_vft_common()` + `qm_vft_data_cfg()` in qm.c (shaper type not modelled).
 * @throws KernelError ETIMEDOUT if RDY does not come (before or after the operation).
 */
export function qmSetVftCommon(qm: HisiQm, type: number, funNum: number, base: number, number: number): void {
  requirePf(qm, 'VFT programming');
  rdy(qm);
  const io = qm.ioBase;
  io.writel(QM_VFT_CFG_OP_WR, 0);
  io.writel(QM_VFT_CFG_TYPE, type);
  io.writel(QM_VFT_CFG, funNum);
  const v1 = qm.ver === QM_HW_V1;
  const data =
    type === QM_SQC_VFT
      ? v1
        ? qmSqcVftV1Encode(base, number)
        : qmSqcVftV2Encode(base, number)
      : v1
        ? qmCqcVftV1Encode(number)
        : qmCqcVftV2Encode(number);
  io.writel(QM_VFT_CFG_DATA_L, data.lo);
  io.writel(QM_VFT_CFG_DATA_H, data.hi);
  io.writel(QM_VFT_CFG_RDY, 0);
  io.writel(QM_VFT_CFG_OP_ENABLE, 1);
  rdy(qm);
}

/**
 * Give function `funNum` (0 = PF, n = VF n) the queues `[base, base + number)`: the SQC VFT then the CQC
 * VFT, each with the RDY handshake. `number` 0 clears the function's range.
 *
 * Kernel counterpart: `hisi_qm_set_vft()` → `qm_set_sqc_cqc_vft()` in qm.c.
 * @throws KernelError EINVAL if the range exceeds `ctrlQpNum` or `pfQm` is not a PF; ETIMEDOUT from the
 * RDY handshake.
 */
export function qmSetVft(pfQm: HisiQm, funNum: number, base: number, number: number): void {
  requirePf(pfQm, 'VFT programming');
  const max = pfQm.ctrlQpNum;
  if (base >= max || number > max || base + number > max) {
    throw new KernelError('EINVAL', `${pfQm.name}: queue range ${base}+${number} exceeds ${max} queues`, {
      funNum,
    });
  }
  qmSetVftCommon(pfQm, QM_SQC_VFT, funNum, base, number);
  qmSetVftCommon(pfQm, QM_CQC_VFT, funNum, base, number);
}

/**
 * Read the SQC VFT of function `funNum` through the PF's VFT registers (OP_WR = 1, TYPE = SQC) and decode
 * it (V2 layout).
 *
 * Kernel counterpart: `pf_qm_get_qp_num()` in hisi_acc_vfio_pci.c (the vfio driver's match data).
 * @throws KernelError ETIMEDOUT from the RDY handshake; EINVAL if `pfQm` is not a PF.
 */
export function pfQmGetQpNum(pfQm: HisiQm, funNum: number): QmVft {
  requirePf(pfQm, 'reading another function’s VFT');
  rdy(pfQm);
  const io = pfQm.ioBase;
  io.writel(QM_VFT_CFG_OP_WR, 1);
  io.writel(QM_VFT_CFG_TYPE, QM_SQC_VFT);
  io.writel(QM_VFT_CFG, funNum);
  io.writel(QM_VFT_CFG_RDY, 0);
  io.writel(QM_VFT_CFG_OP_ENABLE, 1);
  rdy(pfQm);
  return qmSqcVftV2Decode(io.readl(QM_VFT_CFG_DATA_L) >>> 0, io.readl(QM_VFT_CFG_DATA_H) >>> 0);
}

/**
 * A function's own queue range, by the mailbox SQC_VFT_V2 read (result in 0x304/0x308).
 *
 * Kernel counterpart: `qm_get_vft_v2()` in qm.c (`hisi_qm_get_vft`), and the vfio driver's
 * `qm_get_vft()`. Not supported on V1 (EINVAL), as in the kernel.
 * @throws KernelError EINVAL (V1), or the mailbox errno.
 */
export function qmGetVftV2(qm: HisiQm): QmVft {
  if (qm.ver === QM_HW_V1) throw new KernelError('EINVAL', `${qm.name}: V1 does not support VFT read`);
  const vft = qmMbRead(qm, QM_MB_CMD_SQC_VFT_V2, 0);
  return qmSqcVftV2Decode(Number(vft & 0xffff_ffffn), Number(vft >> 32n));
}

/**
 * The queue range of a function: a VF reads its own with the SQC_VFT_V2 mailbox
 * ({@link qmGetVftV2}); a PF reads function `funNum` (default 0, itself) through the VFT registers
 * ({@link pfQmGetQpNum}).
 *
 * Kernel counterpart: `hisi_qm_get_vft()` (VF) / `pf_qm_get_qp_num()` (PF side).
 */
export function qmGetVft(qm: HisiQm, funNum = 0): QmVft {
  return qm.funType === 'PF' ? pfQmGetQpNum(qm, funNum) : qmGetVftV2(qm);
}

/**
 * How many queues VF `funNum` (1-based) gets when the PF shares the queues it does not use itself among
 * `vfsNum` VFs: an equal share, the remainder to the last VF, each capped at `maxQpNum`.
 *
 * Kernel counterpart: `qm_get_vf_qp_num()` in qm.c.
 */
export function qmGetVfQpNum(pfQm: HisiQm, funNum: number): number {
  const numVfs = pfQm.vfsNum;
  const vfqNum = Math.floor((pfQm.ctrlQpNum - pfQm.qpNum) / numVfs);
  if (vfqNum >= pfQm.maxQpNum) return pfQm.maxQpNum;
  const remain = (pfQm.ctrlQpNum - pfQm.qpNum) % numVfs;
  if (vfqNum + remain <= pfQm.maxQpNum) return funNum === numVfs ? vfqNum + remain : vfqNum;
  return funNum + remain > numVfs ? vfqNum + 1 : vfqNum;
}

/**
 * Assign queue ranges to VFs 1..numVfs after the PF's own queues (base = PF `qpNum`), programming each
 * VF's VFT from the last VF down; on failure the VFTs already written are cleared again.
 *
 * Kernel counterpart: `qm_vf_q_assign()` in qm.c.
 * @returns the ranges, index 0 = VF 1.
 * @throws KernelError EINVAL (no VFs, or fewer free queues than VFs), ETIMEDOUT (VFT handshake).
 */
export function qmVfQAssign(pfQm: HisiQm, numVfs: number): QmVft[] {
  if (numVfs <= 0) throw new KernelError('EINVAL', `${pfQm.name}: no VFs to assign queues to`);
  const vfsQNum = pfQm.ctrlQpNum - pfQm.qpNum;
  if (vfsQNum < numVfs) {
    throw new KernelError('EINVAL', `${pfQm.name}: ${vfsQNum} free queues for ${numVfs} VFs`);
  }
  const qNum = Math.floor(vfsQNum / numVfs);
  let remain = vfsQNum % numVfs;
  let qBase = pfQm.qpNum;
  const ranges: QmVft[] = new Array(numVfs);
  for (let i = numVfs; i > 0; i--) {
    let act: number;
    if (i === numVfs && qNum + remain <= pfQm.maxQpNum) {
      act = qNum + remain;
      remain = 0;
    } else if (remain > 0) {
      act = qNum + 1;
      remain--;
    } else {
      act = qNum;
    }
    act = Math.min(act, pfQm.maxQpNum);
    try {
      qmSetVft(pfQm, i, qBase, act);
    } catch (e) {
      for (let j = numVfs; j > i; j--) {
        try {
          qmSetVft(pfQm, j, 0, 0);
        } catch {
          // The kernel ignores failures of the clean-up too.
        }
      }
      throw e;
    }
    ranges[i - 1] = { base: qBase, number: act };
    qBase += act;
  }
  return ranges;
}
