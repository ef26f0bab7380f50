import { writeq } from '@vfio-sim/platform';
import { QM_DOORBELL_CMD_CQ, QM_DOORBELL_CMD_SQ, qmDbHi, qmDbV1Lo, qmDbV2Lo } from '../regs/doorbell.js';
import {
  QM_DOORBELL_BASE_V1,
  QM_DOORBELL_EQ_AEQ_BASE_V2,
  QM_DOORBELL_SQ_CQ_BASE_V2,
} from '../regs/registers.js';
import { QM_HW_V1 } from '../regs/versions.js';
import type { HisiQm } from './hisi-qm.js';

/**
 * Ring a doorbell: one 64-bit write (`writeq`), composed without allocating.
 *
 * - V1: `qn | cmd << 16 | index << 32 | priority << 48` at BAR2 + 0x340.
 * - V2/V3 SQ/CQ: `qn | cmd << 12 | rand << 16 | index << 32 | priority << 48` (rand 0) at
 *   `db_io_base + qn × db_interval + 0x1000` (BAR4 with doorbell isolation, else BAR2).
 * - V2/V3 EQ/AEQ: same encoding at BAR2 + 0x2000.
 *
 * `qn` is the function-relative queue number; `cmd` is QM_DOORBELL_CMD_SQ/CQ/EQ/AEQ.
 *
 * Kernel counterpart: `qm_db()` → `qm_db_v1()` / `qm_db_v2()` in qm.c.
 */
export function qmDb(qm: HisiQm, qn: number, cmd: number, index: number, priority: number): void {
  const hi = qmDbHi(index, priority);
  if (qm.ver === QM_HW_V1) {
    writeq(qm.ioBase, QM_DOORBELL_BASE_V1, qmDbV1Lo(qn, cmd), hi);
    return;
  }
  const lo = qmDbV2Lo(qn, cmd);
  if (cmd === QM_DOORBELL_CMD_SQ || cmd === QM_DOORBELL_CMD_CQ) {
    writeq(qm.dbIoBase, qn * qm.dbInterval + QM_DOORBELL_SQ_CQ_BASE_V2, lo, hi);
  } else {
    writeq(qm.ioBase, QM_DOORBELL_EQ_AEQ_BASE_V2, lo, hi);
  }
}
