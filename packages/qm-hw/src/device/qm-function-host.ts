import type { DmaPort, Tracer, VirtualClock } from '@vfio-sim/platform';
import type { QmHwVer, QmKind } from '../regs/versions.js';
import type { QmLatencies } from './latencies.js';
import type { QmEngine } from './qm-engine.js';
import type { QmIfc } from './qm-ifc.js';
import type { QmQueue } from './qm-queue.js';
import type { QmVftTable } from './qm-vft.js';

/**
 * What one QM function needs from the accelerator it belongs to: the shared clock, latencies, VFT,
 * PF↔VF block, queue engine and queue array, the PF-only register block, and the place hardware errors
 * are recorded. `QmDevice` implements it and hands itself to each function it creates, so a function
 * depends on this interface, not on the device class (the device imports functions; functions import
 * nothing of the device).
 *
 * Kernel counterpart: none in software — the chip-level blocks of the HiSilicon accelerator that all its
 * PCI functions share.
 */
export interface QmFunctionHost {
  readonly kind: QmKind;
  readonly clock: VirtualClock;
  readonly version: QmHwVer;
  readonly tracer: Tracer;
  readonly latencies: QmLatencies;
  /** Queues of the whole QM. */
  readonly maxQpNum: number;
  readonly dbIsolation: boolean;
  /** Default DMA port of every function. */
  readonly dma: DmaPort | undefined;
  readonly vft: QmVftTable;
  readonly ifc: QmIfc;
  readonly engine: QmEngine;
  /** The queue at absolute index `abs` (created on first use). */
  queue(abs: number): QmQueue;
  /** The queue at `abs` if it was ever used. */
  existingQueue(abs: number): QmQueue | undefined;
  /** Whether a queue of `[base, base + number)` was ever used (a quick way past a range never used). */
  anyQueueIn(base: number, number: number): boolean;
  /** Read of a PF-only register (0x100000+), reached through the PF's BAR2. */
  pfReadl(offset: number): number;
  /** Write of a PF-only register. */
  pfWritel(offset: number, value: number): void;
  /** PF reset: the PF-only registers, the VFT and the IFC block to reset values. */
  resetPfGlobals(): void;
  /**
   * The QM detected a hardware error: set `bits` (QM_AXI_RRESP, QM_AXI_BRESP, …) in
   * QM_ABNORMAL_INT_SOURCE and raise the PF's abnormal interrupt for newly set, unmasked bits.
   * `fun` and `iova` say where it happened (trace only: the QM has no register for it).
   */
  hwError(bits: number, fun: number, iova: number): void;
}
