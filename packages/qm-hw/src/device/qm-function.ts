import type { DmaPort, EventTrack, MmioRegion, TimerHandle, Tracer, VirtualClock } from '@vfio-sim/platform';
import { qmQcDepthV2 } from '../regs/contexts.js';
import { QM_AXI_BRESP, QM_AXI_RRESP } from '../regs/hw-error.js';
import { QM_AEQC_DW0, QM_CQC_VFT, QM_EQC_DW0, QM_MB_CMD_SEND_BASE, QM_SQC_VFT } from '../regs/registers.js';
import {
  QM_ABNORMAL_EVENT_IRQ_VECTOR,
  QM_AEQ_EVENT_IRQ_VECTOR,
  QM_CMD_EVENT_IRQ_VECTOR,
  QM_EQ_EVENT_IRQ_VECTOR,
  QM_HW_V1,
} from '../regs/versions.js';
import { QmFaults } from './faults.js';
import { QmBar2, QmBar4 } from './qm-bars.js';
import { QmEventQueue } from './qm-event-queue.js';
import type { QmFunctionHost } from './qm-function-host.js';
import { QmMailbox } from './qm-mailbox.js';
import { hex, QmQueue, type QmQueueState } from './qm-queue.js';
import type { QmFunctionSnapshot } from './snapshot.js';
import {
  QM_STATE_QUEUE_HAS_CQC,
  QM_STATE_QUEUE_HAS_SQC,
  QM_STATE_QUEUE_STOPPED,
  QM_STATE_QUEUE_WORDS,
} from './state-words.js';

/** PCI identity of a function. */
export interface QmPciIdentity {
  readonly vendorId: number;
  readonly deviceId: number;
  /** PCI revision id = QM hardware version. */
  readonly revision: number;
  readonly isVirtfn: boolean;
  /** 0-based VF index (`pci_iov_vf_id`); absent on the PF. */
  readonly vfIndex?: number;
}

/** Receives an MSI vector number: QM_EQ_EVENT_IRQ_VECTOR 0, AEQ 1, CMD (IFC) 2, ABNORMAL 3. */
export type QmInterruptHandler = (vector: number) => void;

const SCRATCH4 = new Uint8Array(4);
const SCRATCH4_VIEW = new DataView(SCRATCH4.buffer);
/** An SQC/CQC read from a base table on a doorbell (the queue's loaders copy it). */
const SCRATCH_QC = new Uint8Array(32);
const SCRATCH_QC2 = new Uint8Array(32);
/** A queue the contexts of a base table are loaded into to be read ({@link QmFunction.readQueueWords}). */
const SCRATCH_QUEUE = new QmQueue(-1);
/** Both base tables of a function, read whole by {@link QmFunction.readQueueWords} (grown as needed). */
let TABLES = baseTables(0);

/** Room for `bytes` bytes of each base table, as bytes and as the same memory in 32-bit words. */
function baseTables(bytes: number) {
  const sqc = new Uint8Array(bytes);
  const cqc = new Uint8Array(bytes);
  return { sqc, cqc, sqcWords: new Uint32Array(sqc.buffer), cqcWords: new Uint32Array(cqc.buffer) };
}

/**
 * Queue `qn`'s entry of {@link QmStateWords} from the base tables read whole ({@link TABLES}), written at
 * word `at`: what loading both contexts into a queue and reading them back gives (both contexts present,
 * not stopped; a head or tail past the depth wrapped, as {@link QmQueue.loadSqc} does), copied without
 * a queue. @returns the word after the entry
 */
function tableQueueWords(words: Uint32Array, bytes: Uint8Array, at: number, qn: number, ver: number): number {
  words[at] = qn;
  words[at + 1] = QM_STATE_QUEUE_HAS_SQC | QM_STATE_QUEUE_HAS_CQC;
  const from = qn * 8;
  for (let k = 0; k < 8; k++) {
    words[at + 2 + k] = TABLES.sqcWords[from + k]!;
    words[at + 10 + k] = TABLES.cqcWords[from + k]!;
  }
  wrapHeadTail(bytes, (at + 2) * 4, ver);
  wrapHeadTail(bytes, (at + 10) * 4, ver);
  return at + QM_STATE_QUEUE_WORDS;
}

/** In the SQC or CQC image at `o`: head (bytes 0–1) and tail (2–3) taken modulo the context's depth. */
function wrapHeadTail(bytes: Uint8Array, o: number, ver: number): void {
  const depth = ver === QM_HW_V1 ? u16(bytes, o + 16) + 1 : qmQcDepthV2(u16(bytes, o + 12));
  for (let b = o; b <= o + 2; b += 2) {
    const v = u16(bytes, b);
    if (v < depth) continue;
    bytes[b] = (v % depth) & 0xff;
    bytes[b + 1] = (v % depth) >>> 8;
  }
}

/** The little-endian u16 at `o`. */
function u16(bytes: Uint8Array, o: number): number {
  return bytes[o]! | (bytes[o + 1]! << 8);
}

/**
 * One PCI function of the QM (the PF is function 0, VF i is function i + 1): its BAR2 register file,
 * BAR4 doorbell pages, mailbox, EQ/AEQ, base-table addresses, IFC slots, interrupt line, DMA port and
 * faults.
 *
 * Register semantics (offsets < 0x10000, every function):
 * - RW: QM_VF_AEQ_INT_MASK, QM_VF_EQ_INT_MASK, QM_IFC_INT_MASK, QM_QUE_ISO_CFG_V, QM_PAGE_SIZE,
 *   QM_VF_STATE, the EQC/AEQC images at 0x8000/0x8020 (7 dwords each).
 * - W1C: QM_VF_AEQ_INT_SOURCE, QM_VF_EQ_INT_SOURCE, QM_IFC_INT_SOURCE_V (bit0; a VF's write also
 *   acknowledges the PF's message).
 * - RO: QM_IFC_INT_STATUS (= source & ~mask), QM_CACHE_WB_DONE, 0x304/0x308 (mailbox results).
 * - Write-triggered: QM_CACHE_WB_START, QM_IFC_INT_SET_V (VF→PF), the mailbox (16-byte write only),
 *   doorbells (8-byte write only).
 * - Anything else reads 0 and ignores writes. PF-only registers (0x100000+, 0x30xxxx) are the
 *   device's ({@link QmFunctionHost.pfReadl}).
 *
 * Interrupts: each vector is an event source of its own on the clock (track `qm fun <n> irq <vector>`,
 * see the platform's event-storm guard). {@link raise} is a new cause (an entry written, a message
 * sent, an error found) and counts as the source's progress; {@link raiseAgain} re-raises a condition
 * that is still pending and does not; an EQ/AEQ doorbell that moves the head is the consumer's
 * progress ({@link irqProgress}).
 *
 * Kernel counterpart: the `struct pci_dev` of a HiSilicon accelerator function and the QM registers
 * its `qm->io_base` maps.
 */
export class QmFunction {
  readonly bar2: MmioRegion;
  readonly bar4: MmioRegion;
  readonly pci: QmPciIdentity;
  readonly faults: QmFaults;
  readonly mailbox: QmMailbox;
  readonly eq = new QmEventQueue();
  readonly aeq = new QmEventQueue();
  readonly tracer: Tracer;
  readonly clock: VirtualClock;

  aeqIntSource = 0;
  aeqIntMask = 1;
  eqIntSource = 0;
  eqIntMask = 1;
  ifcIntSource = 0;
  ifcIntMask = 1;
  ifcIntSet = 0;
  queIsoCfg = 0;
  pageSize = 0;
  vfState = 0;
  cacheWbDone = 0;
  sqcBt = 0;
  cqcBt = 0;
  /** PAUSE_QM received and not yet restarted. */
  paused = false;
  /** Jobs of this function inside the engine. */
  inFlight = 0;
  /** Bumped by a reset so completions of abandoned jobs are dropped. */
  generation = 0;
  /** Message the PF left for this VF (mailbox SRC from the PF): [lo, hi]. */
  readonly ifcInbox = new Uint32Array(2);
  /** Message this VF left for the PF (mailbox SRC from the VF): [lo, hi]. */
  readonly ifcOutbox = new Uint32Array(2);

  private dma: DmaPort | undefined;
  private irq: QmInterruptHandler | undefined;
  private drained: (() => void) | undefined;
  private wbTimer: TimerHandle | undefined;
  /** One storm-guard track per MSI vector (EQ, AEQ, CMD, ABNORMAL). */
  private readonly irqTracks: readonly EventTrack[];

  constructor(
    /** The accelerator this function belongs to. */
    readonly device: QmFunctionHost,
    /** QM function number: 0 = PF, i + 1 = VF i (the VFT's function number). */
    readonly fun: number,
    pci: QmPciIdentity,
    bar2Size: number,
    bar4Size: number,
  ) {
    this.pci = pci;
    this.clock = device.clock;
    this.tracer = device.tracer;
    this.dma = device.dma;
    this.faults = new QmFaults(this.tracer, () => {
      this.mailbox.release();
      // A cleared engine-busy condition: the QM fetches what the doorbells latched meanwhile.
      for (const q of this.cachedQueues()) this.device.engine.kick(this, q);
    });
    this.mailbox = new QmMailbox(this);
    this.bar2 = new QmBar2(this, bar2Size);
    this.bar4 = new QmBar4(this, bar4Size);
    this.queIsoCfg = device.dbIsolation ? 1 : 0;
    const vectors = [
      QM_EQ_EVENT_IRQ_VECTOR,
      QM_AEQ_EVENT_IRQ_VECTOR,
      QM_CMD_EVENT_IRQ_VECTOR,
      QM_ABNORMAL_EVENT_IRQ_VECTOR,
    ];
    this.irqTracks = vectors.map((v) => device.clock.track(`qm fun ${fun} irq ${v}`));
  }

  /** True for QM function 0, the PF. */
  get isPf(): boolean {
    return this.fun === 0;
  }

  /** Route this function's DMA through `port` (e.g. the IOMMU domain its vfio device is attached to). */
  setDmaPort(port: DmaPort | undefined): void {
    this.dma = port;
  }

  /** Where MSIs of this function go (undefined = nowhere). */
  setInterruptHandler(handler: QmInterruptHandler | undefined): void {
    this.irq = handler;
  }

  /** Deliver `vector` after the MSI latency, for a new cause (the vector's source made progress). */
  raise(vector: number): void {
    this.irqProgress(vector);
    this.raiseAgain(vector);
  }

  /**
   * Deliver `vector` after the MSI latency because its condition is still pending (an unmask, an EQ/AEQ
   * doorbell that left entries behind): no progress for the storm guard.
   */
  raiseAgain(vector: number): void {
    if (this.tracer.enabled) this.tracer.instant('qm.irq', `vector ${vector}`, { fun: this.fun });
    const gen = this.generation;
    this.clock.after(
      this.device.latencies.irqUs,
      () => {
        if (gen === this.generation) this.irq?.(vector);
      },
      this.irqTracks[vector],
    );
  }

  /** The interrupt source of `vector` made progress (a consumer took entries). */
  irqProgress(vector: number): void {
    this.irqTracks[vector]?.progress();
  }

  // --- register file -------------------------------------------------------------------------------

  /**
   * 32-bit register read (allocation-free). The cases are numeric literals (kernel names in comments):
   * V8 compiles a switch over literals into a jump table, over imported bindings into a compare chain.
   */
  readReg(offset: number): number {
    switch (offset) {
      case 0x0000: // QM_VF_AEQ_INT_SOURCE
        return this.aeqIntSource;
      case 0x0004: // QM_VF_AEQ_INT_MASK
        return this.aeqIntMask;
      case 0x0008: // QM_VF_EQ_INT_SOURCE
        return this.eqIntSource;
      case 0x000c: // QM_VF_EQ_INT_MASK
        return this.eqIntMask;
      case 0x0020: // QM_IFC_INT_SOURCE_V
        return this.ifcIntSource;
      case 0x0024: // QM_IFC_INT_MASK
        return this.ifcIntMask;
      case 0x0028: // QM_IFC_INT_STATUS
        if (this.faults.ifcPending) return 1;
        return this.ifcIntSource & ~this.ifcIntMask & 1;
      case 0x002c: // QM_IFC_INT_SET_V
        return this.faults.ifcPending ? this.ifcIntSet | 1 : this.ifcIntSet;
      case 0x0030: // QM_QUE_ISO_CFG_V
        return this.queIsoCfg;
      case 0x0034: // QM_PAGE_SIZE
        return this.pageSize;
      case 0x0060: // QM_VF_STATE
        return this.faults.vfNotReady ? 1 : this.vfState;
      case 0x0208: // QM_CACHE_WB_DONE
        return this.cacheWbDone;
      case 0x0300: // QM_MB_CMD_SEND_BASE
      case 0x0304: // QM_MB_CMD_DATA_ADDR_L
      case 0x0308: // QM_MB_CMD_DATA_ADDR_H
      case 0x030c:
        return this.mailbox.words[(offset - QM_MB_CMD_SEND_BASE) >>> 2]!;
    }
    if (offset >= QM_EQC_DW0 && offset < QM_EQC_DW0 + 28) return this.eq.image[(offset - QM_EQC_DW0) >>> 2]!;
    if (offset >= QM_AEQC_DW0 && offset < QM_AEQC_DW0 + 28)
      return this.aeq.image[(offset - QM_AEQC_DW0) >>> 2]!;
    if (this.fun === 0 && offset >= 0x100000) return this.device.pfReadl(offset);
    return 0;
  }

  /** 32-bit register write (allocation-free). */
  writeReg(offset: number, value: number): void {
    const v = value >>> 0;
    switch (offset) {
      case 0x0000: // QM_VF_AEQ_INT_SOURCE
        this.aeqIntSource = (this.aeqIntSource & ~v) >>> 0;
        return;
      case 0x0004: // QM_VF_AEQ_INT_MASK
        this.aeqIntMask = v & 1;
        if (this.aeqIntMask === 0 && (this.aeqIntSource & 1) !== 0) this.raiseAgain(QM_AEQ_EVENT_IRQ_VECTOR);
        return;
      case 0x0008: // QM_VF_EQ_INT_SOURCE
        this.eqIntSource = (this.eqIntSource & ~v) >>> 0;
        return;
      case 0x000c: // QM_VF_EQ_INT_MASK
        this.eqIntMask = v & 1;
        if (this.eqIntMask === 0 && (this.eqIntSource & 1) !== 0) this.raiseAgain(QM_EQ_EVENT_IRQ_VECTOR);
        return;
      case 0x0020: // QM_IFC_INT_SOURCE_V
        if ((v & 1) !== 0) {
          this.ifcIntSource &= ~1;
          if (this.fun !== 0) this.device.ifc.vfAcked(this);
        }
        return;
      case 0x0024: // QM_IFC_INT_MASK
        this.ifcIntMask = v & 1;
        if (this.ifcIntMask === 0 && (this.ifcIntSource & 1) !== 0) this.raiseAgain(QM_CMD_EVENT_IRQ_VECTOR);
        return;
      case 0x002c: // QM_IFC_INT_SET_V
        if ((v & 1) !== 0 && this.fun !== 0) this.device.ifc.triggerPf(this);
        return;
      case 0x0030: // QM_QUE_ISO_CFG_V
        this.queIsoCfg = v;
        return;
      case 0x0034: // QM_PAGE_SIZE
        this.pageSize = v;
        return;
      case 0x0060: // QM_VF_STATE
        this.vfState = v;
        return;
      case 0x0204: // QM_CACHE_WB_START
        if ((v & 1) !== 0) this.startCacheWriteBack();
        return;
    }
    if (offset >= QM_EQC_DW0 && offset < QM_EQC_DW0 + 28) {
      this.eq.image[(offset - QM_EQC_DW0) >>> 2] = v;
      return;
    }
    if (offset >= QM_AEQC_DW0 && offset < QM_AEQC_DW0 + 28) {
      this.aeq.image[(offset - QM_AEQC_DW0) >>> 2] = v;
      return;
    }
    if (this.fun === 0 && offset >= 0x100000) this.device.pfWritel(offset, v);
  }

  // --- queues ------------------------------------------------------------------------------------

  /**
   * The queue `qn` names for this function: VF numbers are relative to the function's VFT range, the
   * PF's are absolute. Undefined if outside.
   */
  queueFor(qn: number): QmQueue | undefined {
    let abs = qn;
    if (this.fun !== 0) {
      const vft = this.device.vft;
      if (qn >= vft.qpNum(this.fun)) return undefined;
      abs = vft.qpBase(this.fun) + qn;
    } else if (qn >= this.device.maxQpNum) return undefined;
    const q = this.device.queue(abs);
    q.qn = qn;
    return q;
  }

  /** Cached queue contexts of this function (those with an SQC or CQC loaded). */
  cachedQueues(): QmQueue[] {
    const out: QmQueue[] = [];
    const range =
      this.fun === 0 ? { base: 0, number: this.device.maxQpNum } : this.device.vft.range(this.fun);
    if (range === undefined) return out;
    for (let i = 0; i < range.number; i++) {
      const q = this.device.existingQueue(range.base + i);
      if (q !== undefined && (q.hasSqc || q.hasCqc)) out.push(q);
    }
    return out;
  }

  /** New base tables: the on-chip contexts of this function are no longer valid. */
  dropCachedContexts(): void {
    for (const q of this.cachedQueues()) if (!q.busy) q.reset();
  }

  /**
   * Reload `q`'s SQC/CQC from the base tables (restart, or a doorbell on a queue without context). A
   * failed read loads nothing and is a hardware error (QM_AXI_RRESP): the queue stays without context.
   */
  loadFromBaseTables(q: QmQueue): void {
    if (this.sqcBt === 0 || this.cqcBt === 0) return;
    const buf = SCRATCH_QC;
    const sqcAt = this.sqcBt + q.qn * 32;
    if (!this.dmaRead(sqcAt, buf)) {
      this.dmaError(QM_AXI_RRESP, sqcAt);
      return;
    }
    const cqcAt = this.cqcBt + q.qn * 32;
    if (!this.dmaRead(cqcAt, SCRATCH_QC2)) {
      this.dmaError(QM_AXI_RRESP, cqcAt);
      return;
    }
    q.loadSqc(buf, this.device.version);
    q.loadCqc(SCRATCH_QC2, this.device.version);
  }

  /**
   * A DMA of queue memory (contexts, SQEs, CQEs, EQEs, AEQEs) failed: the QM records it as a hardware
   * error (`bits` = QM_AXI_RRESP for a read, QM_AXI_BRESP for a write) for the PF driver to handle.
   */
  dmaError(bits: number, iova: number): void {
    this.device.hwError(bits, this.fun, iova);
  }

  /** PAUSE_QM: stop fetching; `done` runs once the jobs in the engine have finished. */
  pause(done: () => void): void {
    this.paused = true;
    if (this.inFlight === 0) done();
    else this.drained = done;
  }

  /** Leave the paused state and fetch again on every queue. */
  resume(): void {
    this.paused = false;
    for (const q of this.cachedQueues()) this.device.engine.kick(this, q);
  }

  /** A job of this function finished. */
  jobDone(): void {
    if (this.inFlight === 0 && this.drained !== undefined) {
      const d = this.drained;
      this.drained = undefined;
      d();
    }
  }

  private startCacheWriteBack(): void {
    this.cacheWbDone = 0;
    if (this.wbTimer !== undefined) this.clock.cancel(this.wbTimer);
    if (this.faults.cacheWbStuck) {
      this.faults.hit('cache-wb-stuck');
      return;
    }
    this.wbTimer = this.clock.after(this.device.latencies.cacheWbUs, () => {
      this.wbTimer = undefined;
      if (this.faults.cacheWbStuck) {
        this.faults.hit('cache-wb-stuck');
        return;
      }
      if (!this.writeBackContexts()) return;
      this.cacheWbDone = 1;
      if (this.tracer.enabled) this.tracer.instant('qm.cache', 'write-back done', { fun: this.fun });
    });
  }

  /**
   * Write every on-chip SQC/CQC of this function to its base table. The first failed write stops the
   * write-back: it is a hardware error (QM_AXI_BRESP) and QM_CACHE_WB_DONE stays 0, so the driver's
   * poll times out rather than reading contexts that were never written.
   * @returns whether every context was written.
   */
  private writeBackContexts(): boolean {
    for (const q of this.cachedQueues()) {
      if (q.hasSqc && this.sqcBt !== 0) {
        const at = this.sqcBt + q.qn * 32;
        if (!this.dmaWrite(at, q.currentSqc())) return this.writeBackFailed(at);
      }
      if (q.hasCqc && this.cqcBt !== 0) {
        const at = this.cqcBt + q.qn * 32;
        if (!this.dmaWrite(at, q.currentCqc())) return this.writeBackFailed(at);
      }
    }
    return true;
  }

  private writeBackFailed(at: number): false {
    this.dmaError(QM_AXI_BRESP, at);
    if (this.tracer.enabled)
      this.tracer.instant('qm.cache', 'write-back failed', { fun: this.fun, at: hex(at) });
    return false;
  }

  // --- DMA -----------------------------------------------------------------------------------------

  /** Device read of guest memory; false on an IOMMU fault, no port, or an injected fault. */
  dmaRead(iova: number, dst: Uint8Array): boolean {
    if (this.faults.dmaFaults(iova, dst.length)) {
      this.faults.hit('dma-fault', hex(iova));
      return false;
    }
    if (this.dma === undefined) return false;
    try {
      this.dma.read(iova, dst);
      return true;
    } catch {
      if (this.tracer.enabled)
        this.tracer.instant('qm.dma', 'read fault', { fun: this.fun, iova: hex(iova) });
      return false;
    }
  }

  /** Device write to guest memory; false on a fault. */
  dmaWrite(iova: number, src: Uint8Array): boolean {
    if (this.faults.dmaFaults(iova, src.length)) {
      this.faults.hit('dma-fault', hex(iova));
      return false;
    }
    if (this.dma === undefined) return false;
    try {
      this.dma.write(iova, src);
      return true;
    } catch {
      if (this.tracer.enabled)
        this.tracer.instant('qm.dma', 'write fault', { fun: this.fun, iova: hex(iova) });
      return false;
    }
  }

  /** 32-bit device write. */
  dmaWriteU32(iova: number, value: number): boolean {
    SCRATCH4_VIEW.setUint32(0, value >>> 0, true);
    return this.dmaWrite(iova, SCRATCH4);
  }

  /**
   * The context the hardware would use for queue `qn`: the on-chip copy if there is one, else what the
   * base tables in memory hold (read without side effects).
   */
  private effectiveQueueState(qn: number): QmQueueState {
    const q = this.onChipQueue(qn);
    if (q !== undefined) {
      q.qn = qn;
      return q.state();
    }
    // no base tables: what a blank queue reports, without allocating one per queue number
    if (this.dma === undefined || this.sqcBt === 0 || this.cqcBt === 0)
      return { qn, stopped: false, sqc: null, cqc: null, sqcRaw: null, cqcRaw: null };
    const tmp = new QmQueue(-1);
    tmp.qn = qn;
    this.readBaseTables(qn, tmp);
    return tmp.state();
  }

  /** Queue `qn` of this function if its SQC or CQC is on chip (creates no queue). */
  private onChipQueue(qn: number): QmQueue | undefined {
    const range =
      this.fun === 0 ? { base: 0, number: this.device.maxQpNum } : this.device.vft.range(this.fun);
    if (range === undefined || qn >= range.number) return undefined;
    const q = this.device.existingQueue(range.base + qn);
    return q !== undefined && (q.hasSqc || q.hasCqc) ? q : undefined;
  }

  /**
   * The contexts the hardware would use for the queues of this function's VFT range that have any (what
   * {@link snapshot} reports in `state.queues`; a queue without is all zeros there and left out here),
   * as {@link QM_STATE_QUEUE_WORDS} words per queue written into `words` from word `at`: the queue number,
   * its flags (QM_STATE_QUEUE_STOPPED, QM_STATE_QUEUE_HAS_SQC, QM_STATE_QUEUE_HAS_CQC), then the raw SQC
   * and CQC (8 words each) — the on-chip copies, else what the base tables in memory hold (read without
   * side effects), with the live head/tail/phase folded in; zeros for a context it lacks. `bytes` views the
   * same buffer as `words`, which must hold every queue of the range. Allocates nothing, creates no queue.
   * @returns the word after the last one written.
   */
  readQueueWords(words: Uint32Array, bytes: Uint8Array, at: number): number {
    const base = this.device.vft.qpBase(this.fun);
    const number = this.device.vft.qpNum(this.fun);
    const fromTables = this.dma !== undefined && this.sqcBt !== 0 && this.cqcBt !== 0;
    // both base tables at once (two DMA reads, not two per queue); if either is not wholly readable,
    // queue by queue as far as they can be read
    // without base tables only on-chip contexts count: none in a range no queue was ever used in
    if (!fromTables && !this.device.anyQueueIn(base, number)) return at;
    const whole = fromTables && this.readWholeBaseTables(number);
    let i = at;
    for (let qn = 0; qn < number; qn++) {
      let q = this.device.existingQueue(base + qn);
      if (q === undefined || !(q.hasSqc || q.hasCqc)) {
        if (!fromTables) continue;
        if (whole) {
          i = tableQueueWords(words, bytes, i, qn, this.device.version);
          continue;
        }
        q = SCRATCH_QUEUE;
        q.reset();
        this.readBaseTables(qn, q);
        if (!(q.hasSqc || q.hasCqc)) continue;
      }
      words[i] = qn;
      words[i + 1] =
        (q.stopped ? QM_STATE_QUEUE_STOPPED : 0) |
        (q.hasSqc ? QM_STATE_QUEUE_HAS_SQC : 0) |
        (q.hasCqc ? QM_STATE_QUEUE_HAS_CQC : 0);
      if (q.hasSqc) bytes.set(q.currentSqc(), (i + 2) * 4);
      else words.fill(0, i + 2, i + 10);
      if (q.hasCqc) bytes.set(q.currentCqc(), (i + 10) * 4);
      else words.fill(0, i + 10, i + 18);
      i += QM_STATE_QUEUE_WORDS;
    }
    return i;
  }

  /** Read the first `number` entries of both base tables into {@link TABLES}; false if not wholly readable. */
  private readWholeBaseTables(number: number): boolean {
    const bytes = number * 32;
    if (TABLES.sqc.length < bytes) TABLES = baseTables(bytes);
    try {
      this.dma?.read(this.sqcBt, TABLES.sqc.subarray(0, bytes));
      this.dma?.read(this.cqcBt, TABLES.cqc.subarray(0, bytes));
      return true;
    } catch {
      return false;
    }
  }

  /** Load `q` with queue `qn`'s contexts from the base tables, as far as they can be read (no side effects). */
  private readBaseTables(qn: number, q: QmQueue): void {
    try {
      this.dma?.read(this.sqcBt + qn * 32, SCRATCH_QC);
      q.loadSqc(SCRATCH_QC, this.device.version);
      this.dma?.read(this.cqcBt + qn * 32, SCRATCH_QC);
      q.loadCqc(SCRATCH_QC, this.device.version);
    } catch {
      // unreadable base table: report what could be read
    }
  }

  // --- reset and state -----------------------------------------------------------------------------

  /**
   * Function-level reset: registers to their reset values, mailbox idle, EQ/AEQ and base tables
   * cleared, this function's on-chip queue contexts dropped, jobs in the engine abandoned (their
   * completions are not written), IFC slots cleared, pause left. The VFT is PF state and survives a VF
   * FLR; a PF FLR also clears the VFT and the PF-only registers.
   *
   * Kernel counterpart: `pcie_flr()` on the function.
   */
  flr(): void {
    for (const q of this.cachedQueues()) {
      q.reset();
      q.busy = false;
    }
    this.generation++;
    this.inFlight = 0;
    this.drained = undefined;
    if (this.wbTimer !== undefined) this.clock.cancel(this.wbTimer);
    this.wbTimer = undefined;
    this.mailbox.reset();
    this.eq.reset();
    this.aeq.reset();
    this.aeqIntSource = this.eqIntSource = this.ifcIntSource = this.ifcIntSet = 0;
    this.aeqIntMask = this.eqIntMask = this.ifcIntMask = 1;
    this.queIsoCfg = this.device.dbIsolation ? 1 : 0;
    this.pageSize = this.vfState = this.cacheWbDone = 0;
    this.sqcBt = this.cqcBt = 0;
    this.paused = false;
    this.ifcInbox.fill(0);
    this.ifcOutbox.fill(0);
    this.device.ifc.forget(this.fun);
    if (this.fun === 0) this.device.resetPfGlobals();
    if (this.tracer.enabled) this.tracer.instant('qm.reset', 'flr', { fun: this.fun });
  }

  /**
   * Everything the hardware holds for this function, as plain JSON-able data. `state` is what a
   * migration must carry (a source VF after save and a destination VF after resume + start compare
   * equal on it — queue contexts are the on-chip copies, or the base-table contents where none is on
   * chip); `identity` and `transient` legitimately differ between two functions.
   */
  snapshot(): QmFunctionSnapshot {
    const range = this.device.vft.range(this.fun);
    const sqcVft = this.device.vft.raw(this.fun, QM_SQC_VFT);
    const cqcVft = this.device.vft.raw(this.fun, QM_CQC_VFT);
    const queues: QmQueueState[] = [];
    for (let qn = 0; qn < (range?.number ?? 0); qn++) queues.push(this.effectiveQueueState(qn));
    return {
      identity: {
        fun: this.fun,
        pci: { ...this.pci },
        qpBase: range?.base ?? null,
        sqcVft: [sqcVft.lo, sqcVft.hi],
        cqcVft: [cqcVft.lo, cqcVft.hi],
      },
      transient: {
        mailbox: Array.from(this.mailbox.words),
        paused: this.paused,
        inFlight: this.inFlight,
        onChipQueues: this.cachedQueues().map((q) => q.qn),
        cacheWbDone: this.cacheWbDone,
        aeqIntSource: this.aeqIntSource,
        eqIntSource: this.eqIntSource,
        faults: this.faults.active().map((f) => ({ ...f })),
      },
      state: {
        kind: this.device.kind,
        version: this.device.version,
        deviceId: this.pci.deviceId,
        qpNum: range?.number ?? 0,
        regs: {
          aeqIntMask: this.aeqIntMask,
          eqIntMask: this.eqIntMask,
          ifcIntSource: this.ifcIntSource,
          ifcIntMask: this.ifcIntMask,
          ifcIntSet: this.ifcIntSet,
          queIsoCfg: this.queIsoCfg,
          pageSize: this.pageSize,
          vfState: this.vfState,
        },
        eqc: Array.from(this.eq.image),
        aeqc: Array.from(this.aeq.image),
        sqcBt: hex(this.sqcBt),
        cqcBt: hex(this.cqcBt),
        queues,
      },
    };
  }
}
