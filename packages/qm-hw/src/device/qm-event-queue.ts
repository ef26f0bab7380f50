import { QM_EQC_PHASE_SHIFT, QM_EQE_SIZE, qmEqcDepth } from '../regs/contexts.js';

/**
 * An event queue (EQ or AEQ) as the hardware holds it: the 7-dword context image (the same words VF
 * BAR2 0x8000/0x8020 expose) in which the hardware keeps its live producer state: dw0 = head | tail << 16
 * (head written by the driver's EQ/AEQ doorbell, tail advanced by the hardware), dw1/dw2 = ring base,
 * dw6 = (depth − 1) | phase << 16 (the phase toggles each time the tail wraps).
 *
 * Kernel counterpart: `struct qm_eqc` / `struct qm_aeqc` and the EQE/AEQE ring they describe.
 */
export class QmEventQueue {
  readonly image = new Uint32Array(7);

  /** Consumer index (dw0 low half), written by the driver's EQ/AEQ doorbell. */
  get head(): number {
    return this.image[0]! & 0xffff;
  }

  /** Set the consumer index (dw0 low half). */
  set head(v: number) {
    this.image[0] = ((this.image[0]! & 0xffff_0000) | (v & 0xffff)) >>> 0;
  }

  /** Producer index (dw0 high half), advanced by the hardware per event. */
  get tail(): number {
    return this.image[0]! >>> 16;
  }

  /** Set the producer index (dw0 high half). */
  set tail(v: number) {
    this.image[0] = ((this.image[0]! & 0xffff) | ((v & 0xffff) << 16)) >>> 0;
  }

  /** Ring base address: dw2 << 32 | dw1. */
  get base(): number {
    return this.image[2]! * 0x1_0000_0000 + this.image[1]!;
  }

  /** Ring entries (dw6 low bits + 1). */
  get depth(): number {
    return qmEqcDepth(this.image[6]!);
  }

  /** The phase the next event is written with (dw6 bit 16); toggles when the tail wraps. */
  get phase(): number {
    return (this.image[6]! >>> QM_EQC_PHASE_SHIFT) & 1;
  }

  /** True once a context was loaded (non-zero base). */
  get loaded(): boolean {
    return this.image[1] !== 0 || this.image[2] !== 0;
  }

  /** Entries produced and not yet acknowledged by a doorbell. */
  get pending(): boolean {
    return this.head !== this.tail;
  }

  /** Address of the next entry the hardware writes. */
  nextEntryAddress(): number {
    return this.base + this.tail * QM_EQE_SIZE;
  }

  /** dw0 of the next entry: `payload | phase << 16`. */
  nextEntryValue(payload: number): number {
    return ((payload & 0xffff_ffff & ~(1 << 16)) | (this.phase << 16)) >>> 0;
  }

  /** Advance the tail after writing an entry; flip the phase on wrap. */
  advance(): void {
    let t = this.tail + 1;
    if (t >= this.depth) {
      t = 0;
      this.image[6] = (this.image[6]! ^ (1 << QM_EQC_PHASE_SHIFT)) >>> 0;
    }
    this.tail = t;
  }

  /** Load 28 bytes (mailbox EQC/AEQC write). */
  load(bytes: Uint8Array): void {
    const v = new DataView(bytes.buffer, bytes.byteOffset, 28);
    for (let i = 0; i < 7; i++) this.image[i] = v.getUint32(i * 4, true);
  }

  /** The 28-byte little-endian image. */
  bytes(): Uint8Array {
    const out = new Uint8Array(28);
    const v = new DataView(out.buffer);
    for (let i = 0; i < 7; i++) v.setUint32(i * 4, this.image[i]!, true);
    return out;
  }

  /** Clear the context image (function-level reset). */
  reset(): void {
    this.image.fill(0);
  }
}
