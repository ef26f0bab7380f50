import { defineStruct } from '@vfio-sim/platform';

/**
 * The QM mailbox: command numbers, word-0 bits and the 16-byte `struct qm_mailbox`.
 *
 * Kernel counterpart: `QM_MB_*` in include/linux/hisi_acc_qm.h, `qm_mb_pre_init()` in qm.c,
 * `QM_MB_CMD_PAUSE_QM` in hisi_acc_vfio_pci.h.
 */

/** Load (write) / dump (read) a queue's SQC. queue = qp number. */
export const QM_MB_CMD_SQC = 0x0;
/** Load / dump a queue's CQC. */
export const QM_MB_CMD_CQC = 0x1;
/** Load / dump the EQC. */
export const QM_MB_CMD_EQC = 0x2;
/** Load / dump the AEQC. */
export const QM_MB_CMD_AEQC = 0x3;
/** Set / read the SQC array base (base table). */
export const QM_MB_CMD_SQC_BT = 0x4;
/** Set / read the CQC array base. */
export const QM_MB_CMD_CQC_BT = 0x5;
/** Read the calling function's own SQC VFT (V2 encoding). */
export const QM_MB_CMD_SQC_VFT_V2 = 0x6;
/** Stop one queue (V3). */
export const QM_MB_CMD_STOP_QP = 0x8;
/** Flush the QM (newer kernels; not modelled by the device). */
export const QM_MB_CMD_FLUSH_QM = 0x9;
/** Send a 64-bit message to another function (queue = target function, 0xffff = all VFs). */
export const QM_MB_CMD_SRC = 0xc;
/** Fetch the message from a function (queue = source function). */
export const QM_MB_CMD_DST = 0xd;
/** Pause the function: stop fetching new SQEs (vfio driver). */
export const QM_MB_CMD_PAUSE_QM = 0xe;

/** Word-0 bit 8: event. */
export const QM_MB_EVENT_SHIFT = 8;
/** Word-0 bits [12:9]: completion status, non-zero = failure. */
export const QM_MB_STATUS_SHIFT = 9;
/** Mask of the status field (GENMASK(12, 9)). */
export const QM_MB_STATUS_MASK = 0x1e00;
/** Word-0 bit 13: busy, set by software, cleared by hardware. */
export const QM_MB_BUSY_SHIFT = 13;
/** Word-0 bit 14: 1 = read/query, 0 = write/configure. */
export const QM_MB_OP_SHIFT = 14;
/** `queue_num` for broadcast to all VFs. */
export const QM_MB_PING_ALL_VFS = 0xffff;
/** Message data sits in the high 32 bits of a SRC message. */
export const QM_MB_CMD_DATA_SHIFT = 32;
/** Number of polls in the newer mailbox helpers. */
export const QM_MB_MAX_WAIT_CNT = 6000;
/** Poll period of qm_wait_mb_ready (µs). */
export const POLL_PERIOD = 10;
/** Poll timeout of qm_wait_mb_ready (µs). */
export const POLL_TIMEOUT = 1000;

/** `enum qm_mb_cmd`: PF → VF, prepare for FLR. */
export const QM_PF_FLR_PREPARE = 0x01;
/** PF → VF, prepare for soft reset. */
export const QM_PF_SRST_PREPARE = 0x02;
/** PF → VF, reset done. */
export const QM_PF_RESET_DONE = 0x03;
/** VF → PF, stopped for reset. */
export const QM_VF_PREPARE_DONE = 0x04;
/** VF → PF, failed to stop. */
export const QM_VF_PREPARE_FAIL = 0x05;
/** VF → PF, restarted. */
export const QM_VF_START_DONE = 0x06;
/** VF → PF, failed to restart. */
export const QM_VF_START_FAIL = 0x07;
/** PF → VF, QoS value. */
export const QM_PF_SET_QOS = 0x08;
/** VF → PF, QoS query. */
export const QM_VF_GET_QOS = 0x09;

/** `struct qm_mailbox` (16 bytes). */
export const qm_mailbox = defineStruct(
  'qm_mailbox',
  [
    { name: 'w0', type: 'u16', offset: 0 },
    { name: 'queue_num', type: 'u16', offset: 2 },
    { name: 'base_l', type: 'u32', offset: 4 },
    { name: 'base_h', type: 'u32', offset: 8 },
    { name: 'rsvd', type: 'u32', offset: 12 },
  ] as const,
  { size: 16 },
);

/**
 * Word 0 of the mailbox as software writes it: `cmd | op << 14 | 1 << 13` (busy), without the queue.
 *
 * Kernel counterpart: the `w0` computation in `qm_mb_pre_init()`.
 */
export function qmMbW0(cmd: number, op: number | boolean): number {
  return ((cmd & 0xff) | (op ? 1 << QM_MB_OP_SHIFT : 0) | (1 << QM_MB_BUSY_SHIFT)) >>> 0;
}

/**
 * The first 32-bit word of the mailbox: `w0 | queue_num << 16` (little-endian dword 0), with busy set.
 *
 * Kernel counterpart: `qm_mb_pre_init()` (w0 and queue_num).
 */
export function qmMbWord0(cmd: number, op: number | boolean, queue: number): number {
  return (qmMbW0(cmd, op) | ((queue & 0xffff) << 16)) >>> 0;
}

/**
 * Fill a 16-byte buffer with a complete mailbox command (allocation-free). `base` is given as two
 * 32-bit halves.
 *
 * Kernel counterpart: `qm_mb_pre_init()`.
 */
export function qmMbEncode(
  out: Uint8Array,
  cmd: number,
  op: number | boolean,
  queue: number,
  baseLo: number,
  baseHi: number,
): Uint8Array {
  const w0 = qmMbWord0(cmd, op, queue);
  writeU32(out, 0, w0);
  writeU32(out, 4, baseLo >>> 0);
  writeU32(out, 8, baseHi >>> 0);
  writeU32(out, 12, 0);
  return out;
}

/** Status field [12:9] of a mailbox word 0 (0 = success). */
export function qmMbStatus(word0: number): number {
  return (word0 & QM_MB_STATUS_MASK) >>> QM_MB_STATUS_SHIFT;
}

/** Busy bit of a mailbox word 0. */
export function qmMbBusy(word0: number): boolean {
  return ((word0 >>> QM_MB_BUSY_SHIFT) & 1) === 1;
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}
