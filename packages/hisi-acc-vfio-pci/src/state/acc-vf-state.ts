import { KernelError } from '@vfio-sim/platform';
import { QM_NOT_READY, QM_READY } from '@vfio-sim/qm-hw';
import {
  ACC_DEV_MAGIC,
  ACC_DEV_MAGIC_V2,
  acc_vf_data,
  acc_vf_data_v1,
  QM_MATCH_SIZE,
  QM_MATCH_SIZE_V1,
} from './acc-vf-data.js';

/**
 * The match data: what a destination checks before accepting a VF's state (the first `QM_MATCH_SIZE`
 * bytes of `struct acc_vf_data`).
 */
export interface AccVfMatch {
  /** Queues of the VF, from the PF's VFT (`qp_num`). */
  readonly qpNum: number;
  /** The VF's PCI device id (`dev_id`). */
  readonly devId: number;
  /** PF register QM_QUE_ISO_CFG_V (`que_iso_cfg`). */
  readonly queIsoCfg: number;
  /** First queue of the VF, absolute (`qp_base`). */
  readonly qpBase: number;
}

/** The VF registers and DMA addresses saved after the stop (the rest of `struct acc_vf_data`). */
export interface AccVfRegs {
  readonly aeqIntMask: number;
  readonly eqIntMask: number;
  readonly ifcIntSource: number;
  readonly ifcIntMask: number;
  readonly ifcIntSet: number;
  readonly pageSize: number;
  /** QM_EQC_DW0..6 (VF 0x8000..0x8018). */
  readonly eqcDw: readonly number[];
  /** QM_AEQC_DW0..6 (VF 0x8020..0x8038). */
  readonly aeqcDw: readonly number[];
  readonly eqeDma: bigint;
  readonly aeqeDma: bigint;
  readonly sqcDma: bigint;
  readonly cqcDma: bigint;
}

/**
 * One VF's migration state, independent of the wire layout: the match data, the guest driver's state
 * (`vf_qm_state`: QM_READY or QM_NOT_READY) and, when the guest driver was running, the registers.
 * Both protocols carry it: v1 in the RFC layout ({@link encodeAccVfDataV1}), v2 in the merged one
 * ({@link encodeAccVfData}).
 *
 * Kernel counterpart: the contents of `struct acc_vf_data` (hisi_acc_vfio_pci.h).
 */
export interface AccVfState {
  readonly match: AccVfMatch;
  readonly vfQmState: typeof QM_READY | typeof QM_NOT_READY;
  /** Present only when `vfQmState` is QM_READY. */
  readonly regs?: AccVfRegs;
}

/** The RFC stream: match data only (32 bytes) or the full 168-byte `acc_vf_data`. */
export function encodeAccVfDataV1(state: AccVfState): Uint8Array {
  const v = acc_vf_data_v1.zero();
  putMatch(v, state.match);
  if (state.regs === undefined) return acc_vf_data_v1.encode(v).slice(0, QM_MATCH_SIZE_V1);
  putRegs(v, state.regs);
  v.vf_state = state.vfQmState;
  return acc_vf_data_v1.encode(v);
}

/**
 * Parse an RFC stream: exactly 32 bytes (match data, the guest driver was not running) or exactly 168.
 * @throws KernelError EINVAL for any other length or an unknown `vf_state`.
 */
export function decodeAccVfDataV1(bytes: Uint8Array): AccVfState {
  if (bytes.length !== QM_MATCH_SIZE_V1 && bytes.length !== acc_vf_data_v1.size) {
    throw new KernelError(
      'EINVAL',
      `acc_vf_data stream of ${bytes.length} bytes: expected ${QM_MATCH_SIZE_V1} (match data) or ${acc_vf_data_v1.size}`,
    );
  }
  const full = new Uint8Array(acc_vf_data_v1.size);
  full.set(bytes);
  const v = acc_vf_data_v1.decode(full);
  const match = matchOf(v);
  if (bytes.length === QM_MATCH_SIZE_V1) return { match, vfQmState: QM_NOT_READY };
  if (v.vf_state !== QM_READY) {
    throw new KernelError('EINVAL', `full acc_vf_data with vf_state ${v.vf_state} (expected QM_READY)`);
  }
  return { match, vfQmState: QM_READY, regs: regsOf(v) };
}

/**
 * The merged driver's stream (v6.16+ form: ACC_DEV_MAGIC_V2, major 1 / minor 0): 40 bytes of match data
 * when the guest driver was not running, else the full 176 bytes.
 */
export function encodeAccVfData(state: AccVfState): Uint8Array {
  const v = acc_vf_data.zero();
  v.acc_magic = ACC_DEV_MAGIC_V2;
  putMatch(v, state.match);
  v.vf_qm_state = state.vfQmState;
  v.qm_rsv_state[0] = ACC_DRV_MAJOR_VER | (ACC_DRV_MINOR_VER << 16);
  if (state.regs !== undefined) putRegs(v, state.regs);
  // Encoded in a scratch buffer, the stream's bytes copied out: one allocation.
  acc_vf_data.encode(v, SCRATCH);
  return SCRATCH.slice(0, state.regs === undefined ? QM_MATCH_SIZE : acc_vf_data.size);
}

/** Where the merged layout is encoded and a short stream is padded to be decoded (never handed out). */
const SCRATCH = new Uint8Array(acc_vf_data.size);

/** Which magic a merged-layout stream carried, and its version (V1 streams have none: 0.0). */
export interface AccVfDataHeader {
  readonly magic: 'v1' | 'v2';
  readonly majorVer: number;
  readonly minorVer: number;
  readonly match: AccVfMatch;
}

/**
 * Parse the first `QM_MATCH_SIZE` (40) bytes of a merged-layout stream: the magic (ACC_DEV_MAGIC_V2 with
 * major version ACC_DRV_MAJOR_VER, or the old ACC_DEV_MAGIC, accepted as v6.16+ does) and the match data.
 *
 * Kernel counterpart: the magic/version part of `vf_qm_check_match()` (+ `vf_qm_version_check()`).
 * @throws KernelError EINVAL for fewer than 40 bytes, an unknown magic, or a V2 stream of another major
 * version.
 */
export function decodeAccVfDataHeader(bytes: Uint8Array): AccVfDataHeader {
  if (bytes.length < QM_MATCH_SIZE) {
    throw new KernelError('EINVAL', `acc_vf_data: ${bytes.length} bytes < QM_MATCH_SIZE ${QM_MATCH_SIZE}`);
  }
  SCRATCH.fill(0);
  SCRATCH.set(bytes.subarray(0, QM_MATCH_SIZE));
  return headerOf(acc_vf_data.decode(SCRATCH));
}

/** The magic/version checks and the match data of a decoded merged-layout struct. */
function headerOf(v: ReturnType<typeof acc_vf_data.decode>): AccVfDataHeader {
  const match = matchOf(v);
  if (v.acc_magic === ACC_DEV_MAGIC) return { magic: 'v1', majorVer: 0, minorVer: 0, match };
  if (v.acc_magic !== ACC_DEV_MAGIC_V2) {
    throw new KernelError('EINVAL', `acc_vf_data: bad magic 0x${v.acc_magic.toString(16)}`);
  }
  const majorVer = v.qm_rsv_state[0]! & 0xffff;
  const minorVer = v.qm_rsv_state[0]! >>> 16;
  if (majorVer !== ACC_DRV_MAJOR_VER) {
    throw new KernelError('EINVAL', `acc_vf_data: major version ${majorVer} (driver ${ACC_DRV_MAJOR_VER})`);
  }
  return { magic: 'v2', majorVer, minorVer, match };
}

/**
 * Parse a whole merged-layout stream: 40 bytes (match data only: the guest driver was not running) or 176.
 * A V1-magic stream (v5.18–v6.15 sources) carries EQE/AEQE addresses computed from the wrong dwords; they
 * are recomputed from the saved EQC/AEQC images (`dw[2] << 32 | dw[1]`), as v6.16 does on resume.
 * A full stream whose `vf_qm_state` is not QM_READY restores no registers.
 *
 * Kernel counterpart: the stream side of `vf_qm_load_data()`.
 * @throws KernelError EINVAL for any other length and as {@link decodeAccVfDataHeader}.
 */
export function decodeAccVfData(bytes: Uint8Array): AccVfState {
  if (bytes.length !== QM_MATCH_SIZE && bytes.length !== acc_vf_data.size) {
    decodeAccVfDataHeader(bytes); // a short or bad header is reported first
    throw new KernelError(
      'EINVAL',
      `acc_vf_data stream of ${bytes.length} bytes: expected ${QM_MATCH_SIZE} (match data) or ${acc_vf_data.size}`,
    );
  }
  if (bytes.length === QM_MATCH_SIZE) {
    return { match: decodeAccVfDataHeader(bytes).match, vfQmState: QM_NOT_READY };
  }
  const v = acc_vf_data.decode(bytes);
  const header = headerOf(v);
  if (v.vf_qm_state !== QM_READY) return { match: header.match, vfQmState: QM_NOT_READY };
  const regs = regsOf(v);
  if (header.magic === 'v1') {
    return {
      match: header.match,
      vfQmState: QM_READY,
      regs: { ...regs, eqeDma: xqcDmaAddr(regs.eqcDw), aeqeDma: xqcDmaAddr(regs.aeqcDw) },
    };
  }
  return { match: header.match, vfQmState: QM_READY, regs };
}

/** `dw[2] << 32 | dw[1]` (struct qm_eqc / qm_aeqc: base_l, base_h after the head/tail dword). */
/**
 * The ring address in an EQC/AEQC image: base_l in dword 1, base_h in dword 2 (`struct qm_eqc`). The
 * v6.16 fix of the EQE/AEQE DMA address (v5.18–v6.15 used dw[1] << 32 | dw[0]).
 */
export function xqcDmaAddr(dw: readonly number[]): bigint {
  return (BigInt((dw[2] ?? 0) >>> 0) << 32n) | BigInt((dw[1] ?? 0) >>> 0);
}

/** `ACC_DRV_MAJOR_VER` (v6.16+). */
export const ACC_DRV_MAJOR_VER = 1;
/** `ACC_DRV_MINOR_VER` (v6.16+). */
export const ACC_DRV_MINOR_VER = 0;

/** The match fields both layouts share, under the C names. */
interface MatchFields {
  qp_num: number;
  dev_id: number;
  que_iso_cfg: number;
  qp_base: number;
}

function putMatch(v: MatchFields, m: AccVfMatch): void {
  v.qp_num = m.qpNum;
  v.dev_id = m.devId;
  v.que_iso_cfg = m.queIsoCfg;
  v.qp_base = m.qpBase;
}

function matchOf(v: MatchFields): AccVfMatch {
  return { qpNum: v.qp_num, devId: v.dev_id, queIsoCfg: v.que_iso_cfg, qpBase: v.qp_base };
}

/** The register fields both layouts share, under the C names. */
interface RegFields {
  aeq_int_mask: number;
  eq_int_mask: number;
  ifc_int_source: number;
  ifc_int_mask: number;
  ifc_int_set: number;
  page_size: number;
  qm_eqc_dw: number[];
  qm_aeqc_dw: number[];
  eqe_dma: bigint;
  aeqe_dma: bigint;
  sqc_dma: bigint;
  cqc_dma: bigint;
}

function putRegs(v: RegFields, r: AccVfRegs): void {
  v.aeq_int_mask = r.aeqIntMask;
  v.eq_int_mask = r.eqIntMask;
  v.ifc_int_source = r.ifcIntSource;
  v.ifc_int_mask = r.ifcIntMask;
  v.ifc_int_set = r.ifcIntSet;
  v.page_size = r.pageSize;
  v.qm_eqc_dw = [...r.eqcDw];
  v.qm_aeqc_dw = [...r.aeqcDw];
  v.eqe_dma = r.eqeDma;
  v.aeqe_dma = r.aeqeDma;
  v.sqc_dma = r.sqcDma;
  v.cqc_dma = r.cqcDma;
}

/** The registers of a decoded stream (either layout). */
export function regsOf(v: RegFields): AccVfRegs {
  return {
    aeqIntMask: v.aeq_int_mask,
    eqIntMask: v.eq_int_mask,
    ifcIntSource: v.ifc_int_source,
    ifcIntMask: v.ifc_int_mask,
    ifcIntSet: v.ifc_int_set,
    pageSize: v.page_size,
    eqcDw: [...v.qm_eqc_dw],
    aeqcDw: [...v.qm_aeqc_dw],
    eqeDma: v.eqe_dma,
    aeqeDma: v.aeqe_dma,
    sqcDma: v.sqc_dma,
    cqcDma: v.cqc_dma,
  };
}
