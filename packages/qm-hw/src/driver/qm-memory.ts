import { PAGE_SIZE } from '@vfio-sim/platform';
import { QM_EQE_SIZE, qm_cqc, qm_sqc } from '../regs/contexts.js';
import { QM_EQ_DEPTH, QM_Q_DEPTH } from '../regs/versions.js';
import type { BumpAllocator } from './bump-allocator.js';
import type { HisiQm } from './hisi-qm.js';

/** Where a function's queue-management memory lies (DMA addresses). */
export interface QmMemoryLayout {
  /** Coherent block (`qdma`): EQEs, AEQEs, SQC array, CQC array. */
  readonly qdma: { readonly dma: number; readonly size: number };
  readonly eqe: number;
  readonly aeqe: number;
  readonly sqc: number;
  readonly cqc: number;
  /** Buffer the EQC mailbox loads from. */
  readonly eqc: number;
  /** Buffer the AEQC mailbox loads from. */
  readonly aeqc: number;
}

/**
 * Place a function's queue-management memory with `a`: the EQE ring (page-aligned), the AEQE ring, the
 * SQC and CQC arrays of `qpNum` queues (together the `qdma` block), then the 32-byte EQC and AEQC
 * buffers. The PF driver and the guest VF driver lay it out the same way.
 *
 * Kernel counterpart: `hisi_qm_memory_init()` (the `qdma` block) and the EQC/AEQC buffers
 * `qm_eq_ctx_cfg()` maps.
 * @throws KernelError ENOMEM if it does not fit in the allocator's range.
 */
export function qmMemoryLayout(a: BumpAllocator, qpNum: number): QmMemoryLayout {
  const eqe = a.alloc(QM_EQE_SIZE * QM_EQ_DEPTH, PAGE_SIZE);
  const aeqe = a.alloc(QM_EQE_SIZE * QM_Q_DEPTH, 32);
  const sqc = a.alloc(qm_sqc.size * qpNum, 32);
  const cqc = a.alloc(qm_cqc.size * qpNum, 32);
  const qdmaEnd = cqc + qm_cqc.size * qpNum;
  const eqc = a.alloc(32, 32);
  const aeqc = a.alloc(32, 32);
  return { qdma: { dma: eqe, size: qdmaEnd - eqe }, eqe, aeqe, sqc, cqc, eqc, aeqc };
}

/**
 * Point `qm`'s DMA addresses (`eqe_dma`, `aeqe_dma`, `sqc_dma`, `cqc_dma`, the EQC/AEQC buffers and
 * `qdma`) at `m`.
 *
 * Kernel counterpart: the assignments at the end of `hisi_qm_memory_init()`.
 */
export function qmUseMemoryLayout(qm: HisiQm, m: QmMemoryLayout): void {
  qm.eqeDma = m.eqe;
  qm.aeqeDma = m.aeqe;
  qm.sqcDma = m.sqc;
  qm.cqcDma = m.cqc;
  qm.eqcDma = m.eqc;
  qm.aeqcDma = m.aeqc;
  qm.qdma = { ...m.qdma };
}
