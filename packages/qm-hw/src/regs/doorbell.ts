/**
 * Doorbell commands and the V1/V2 64-bit encodings, as two u32 halves (no bigint).
 *
 * Kernel counterpart: `qm_db_v1()` / `qm_db_v2()` in qm.c.
 */

/** Doorbell command: SQ tail update. */
export const QM_DOORBELL_CMD_SQ = 0;
/** Doorbell command: CQ head update. */
export const QM_DOORBELL_CMD_CQ = 1;
/** Doorbell command: EQ head update. */
export const QM_DOORBELL_CMD_EQ = 2;
/** Doorbell command: AEQ head update. */
export const QM_DOORBELL_CMD_AEQ = 3;

/** V1: cmd shift. */
export const QM_DB_CMD_SHIFT_V1 = 16;
/** V1: index shift. */
export const QM_DB_INDEX_SHIFT_V1 = 32;
/** V1: priority shift. */
export const QM_DB_PRIORITY_SHIFT_V1 = 48;
/** V2: cmd shift. */
export const QM_DB_CMD_SHIFT_V2 = 12;
/** V2: random-data shift. */
export const QM_DB_RAND_SHIFT_V2 = 16;
/** V2: index shift. */
export const QM_DB_INDEX_SHIFT_V2 = 32;
/** V2: priority shift. */
export const QM_DB_PRIORITY_SHIFT_V2 = 48;

/** A 64-bit register value as little-endian halves. */
export interface U32Pair {
  /** Bits [31:0]. */
  lo: number;
  /** Bits [63:32]. */
  hi: number;
}

/** A decoded doorbell. */
export interface QmDoorbell {
  qn: number;
  cmd: number;
  index: number;
  priority: number;
  /** V2 only (random data, the kernel sends 0). */
  rand: number;
}

/** V1 doorbell, bits [31:0]: `qn | cmd << 16` (allocation-free half of {@link qmDbV1}). */
export function qmDbV1Lo(qn: number, cmd: number): number {
  return ((qn & 0xffff) | ((cmd & 0xff) << QM_DB_CMD_SHIFT_V1)) >>> 0;
}

/**
 * V2/V3 doorbell, bits [31:0]: `qn | cmd << 12 | rand << 16` (allocation-free half of {@link qmDbV2}). As
 * in the kernel, qn is OR-ed in unshifted (a qn ≥ 4096 would overlap cmd; queue numbers are < 2048).
 */
export function qmDbV2Lo(qn: number, cmd: number, rand = 0): number {
  return (
    ((qn & 0xffff) | ((cmd & 0xff) << QM_DB_CMD_SHIFT_V2) | ((rand & 0xffff) << QM_DB_RAND_SHIFT_V2)) >>> 0
  );
}

/** Doorbell bits [63:32], the same in V1 and V2: `index | priority << 16` (index << 32, priority << 48). */
export function qmDbHi(index: number, priority: number): number {
  return ((index & 0xffff) | ((priority & 0xff) << 16)) >>> 0;
}

/**
 * V1 doorbell: `qn | cmd << 16 | index << 32 | priority << 48` (qn u16, cmd u8, index u16, priority u8).
 *
 * Kernel counterpart: `qm_db_v1()`.
 */
export function qmDbV1(qn: number, cmd: number, index: number, priority: number): U32Pair {
  return { lo: qmDbV1Lo(qn, cmd), hi: qmDbHi(index, priority) };
}

/**
 * V2/V3 doorbell: `qn | cmd << 12 | rand << 16 | index << 32 | priority << 48`.
 *
 * Kernel counterpart: `qm_db_v2()` (randata = 0).
 */
export function qmDbV2(qn: number, cmd: number, index: number, priority: number, rand = 0): U32Pair {
  return { lo: qmDbV2Lo(qn, cmd, rand), hi: qmDbHi(index, priority) };
}

/** Decode a V1 doorbell written as halves into `out` (allocation-free when `out` is reused). */
export function qmDbV1Decode(lo: number, hi: number, out: QmDoorbell = emptyDoorbell()): QmDoorbell {
  out.qn = lo & 0xffff;
  out.cmd = (lo >>> QM_DB_CMD_SHIFT_V1) & 0xff;
  out.index = hi & 0xffff;
  out.priority = (hi >>> 16) & 0xff;
  out.rand = 0;
  return out;
}

/** Decode a V2 doorbell: qn = bits [11:0], cmd = [15:12], rand = [31:16], index, priority. */
export function qmDbV2Decode(lo: number, hi: number, out: QmDoorbell = emptyDoorbell()): QmDoorbell {
  out.qn = lo & 0xfff;
  out.cmd = (lo >>> QM_DB_CMD_SHIFT_V2) & 0xf;
  out.rand = (lo >>> QM_DB_RAND_SHIFT_V2) & 0xffff;
  out.index = hi & 0xffff;
  out.priority = (hi >>> 16) & 0xff;
  return out;
}

function emptyDoorbell(): QmDoorbell {
  return { qn: 0, cmd: 0, index: 0, priority: 0, rand: 0 };
}
