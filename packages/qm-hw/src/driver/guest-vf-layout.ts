import { defineStruct, PAGE_SIZE } from '@vfio-sim/platform';
import { QM_CQE_SIZE } from '../regs/contexts.js';
import { QM_SQE_SIZE } from '../regs/sqe.js';
import { QM_Q_DEPTH } from '../regs/versions.js';
import { BumpAllocator } from './bump-allocator.js';
import { type QmMemoryLayout, qmMemoryLayout } from './qm-memory.js';

/** Bytes reserved per job for a key and for an IV. */
export const GUEST_JOB_KEY_SIZE = 256;

/** Magic of the guest driver's control block ("QMGD"). */
export const GUEST_VF_DRIVER_MAGIC = 0x444d_4751;
/** Layout version of the control block. */
export const GUEST_VF_DRIVER_STATE_VERSION = 1;

/**
 * The guest VF driver's control block in guest memory: every value the driver needs to continue, so a
 * driver instance on another host can pick up from a copy of guest memory. (In the kernel these live in
 * `struct hisi_qm` / `struct hisi_qp`, which are in guest RAM too.)
 */
export const guest_vf_driver_state = defineStruct('guest_vf_driver_state', [
  { name: 'magic', type: 'u32' },
  { name: 'version', type: 'u32' },
  { name: 'ver', type: 'u32' },
  { name: 'qp_base', type: 'u32' },
  { name: 'qp_num', type: 'u32' },
  { name: 'use_db_isolation', type: 'u32' },
  { name: 'buffer_slots', type: 'u32' },
  { name: 'buffer_size', type: 'u32' },
  { name: 'eq_head', type: 'u32' },
  { name: 'aeq_head', type: 'u32' },
  { name: 'eqc_phase', type: 'u32' },
  { name: 'aeqc_phase', type: 'u32' },
  { name: 'qm_flags', type: 'u32' },
  { name: 'qp_id', type: 'u32' },
  { name: 'sq_tail', type: 'u32' },
  { name: 'cq_head', type: 'u32' },
  { name: 'cqc_phase', type: 'u32' },
  { name: 'used', type: 'u32' },
  { name: 'qp_flags', type: 'u32' },
  { name: 'next_job_id', type: 'u32' },
  { name: 'mb_qos', type: 'u32' },
  { name: 'device_id', type: 'u32' },
] as const);

/** The decoded control block (field names as in the layout). */
export type GuestVfDriverState = ReturnType<typeof guest_vf_driver_state.zero>;

/**
 * One job's record in guest memory, indexed by buffer slot (16 bytes): busy, job id, opcode, input
 * length.
 */
export const guest_job_slot = defineStruct(
  'guest_job_slot',
  [
    { name: 'busy', type: 'u32' },
    { name: 'job_id', type: 'u32' },
    { name: 'opcode', type: 'u32' },
    { name: 'in_len', type: 'u32' },
  ] as const,
  { size: 16 },
);

/** Where everything of the guest VF driver lives (all guest-physical = DMA addresses). */
export interface GuestVfLayout extends QmMemoryLayout {
  readonly ctrl: number;
  readonly sqe: number;
  readonly cqe: number;
  readonly slots: number;
  /** Buffer slot i: input at `buffers + i × stride`, output at + bufferSize, key, IV after. */
  readonly buffers: number;
  readonly bufferStride: number;
  readonly bufferSize: number;
  readonly bufferSlots: number;
  /** First byte after the driver's memory. */
  readonly end: number;
}

/**
 * Place the driver's memory from `allocBase` with the {@link BumpAllocator}: deterministic for the same
 * arguments, which is what lets a resumed driver find everything again.
 * @throws KernelError ENOMEM if it does not fit below `limit`.
 */
export function guestVfLayout(
  allocBase: number,
  limit: number,
  qpNum: number,
  bufferSlots: number,
  bufferSize: number,
): GuestVfLayout {
  const a = new BumpAllocator(allocBase, limit);
  const ctrl = a.alloc(PAGE_SIZE, PAGE_SIZE);
  const qm = qmMemoryLayout(a, qpNum);
  const sqe = a.alloc(QM_SQE_SIZE * QM_Q_DEPTH, PAGE_SIZE);
  const cqe = a.alloc(QM_CQE_SIZE * QM_Q_DEPTH, PAGE_SIZE);
  const slots = a.alloc(guest_job_slot.size * bufferSlots, PAGE_SIZE);
  const bufferStride = Math.ceil((2 * bufferSize + 2 * GUEST_JOB_KEY_SIZE) / PAGE_SIZE) * PAGE_SIZE;
  const buffers = a.alloc(bufferStride * bufferSlots, PAGE_SIZE);
  return {
    ctrl,
    ...qm,
    sqe,
    cqe,
    slots,
    buffers,
    bufferStride,
    bufferSize,
    bufferSlots,
    end: buffers + bufferStride * bufferSlots,
  };
}
