import type { Tracer } from '@vfio-sim/platform';

/**
 * A fault the tests can inject into one function.
 *
 * - `mb-stuck-busy`: a mailbox command never completes (busy bit 13 stays set).
 * - `mb-error`: mailbox commands complete with a non-zero status ([12:9], default 0xf).
 * - `cache-wb-stuck`: QM_CACHE_WB_DONE never becomes 1.
 * - `ras-pending`: QM_ABNORMAL_INT_STATUS (PF register) reads `bits` (default 1); inject on `dev.pf`.
 * - `ifc-pending`: QM_IFC_INT_STATUS and QM_IFC_INT_SET_V of this function read 1.
 * - `engine-busy`: this function's queues fetch nothing, and the engine's INT_STATUS register on the PF
 *   (SEC 0x301008 / HPRE 0x301800 / ZIP 0x3010AC) reads 1.
 * - `vf-not-ready`: QM_VF_STATE reads QM_NOT_READY (1) whatever was written.
 * - `dma-fault`: every device DMA touching `[iova, iova + length)` fails (length default 1).
 */
export type QmFault =
  | { readonly kind: 'mb-stuck-busy' }
  | { readonly kind: 'mb-error'; readonly status?: number }
  | { readonly kind: 'cache-wb-stuck' }
  | { readonly kind: 'ras-pending'; readonly bits?: number }
  | { readonly kind: 'ifc-pending' }
  | { readonly kind: 'engine-busy' }
  | { readonly kind: 'vf-not-ready' }
  | { readonly kind: 'dma-fault'; readonly iova: number; readonly length?: number };

/** The name of a fault kind. */
export type QmFaultKind = QmFault['kind'];

/**
 * The faults injected into one function. Flags are plain fields so the register paths test them with
 * one property read. Injecting and clearing are traced (`qm.fault` instant events), and so is each
 * time a fault takes effect.
 *
 * Kernel counterpart: none (the hardware failures the drivers' error paths handle).
 */
export class QmFaults {
  mbStuckBusy = false;
  /** Non-zero: the status mailbox commands complete with. */
  mbErrorStatus = 0;
  cacheWbStuck = false;
  /** Non-zero: bits QM_ABNORMAL_INT_STATUS reads. */
  rasBits = 0;
  ifcPending = false;
  engineBusy = false;
  vfNotReady = false;
  private dmaRanges: { start: number; end: number }[] = [];

  constructor(
    private readonly tracer: Tracer,
    private readonly onChange: () => void = () => {},
  ) {}

  /** Inject a fault (re-injecting replaces the previous one of that kind, except DMA ranges, which add). */
  inject(fault: QmFault): void {
    switch (fault.kind) {
      case 'mb-stuck-busy':
        this.mbStuckBusy = true;
        break;
      case 'mb-error':
        this.mbErrorStatus = (fault.status ?? 0xf) & 0xf || 0xf;
        break;
      case 'cache-wb-stuck':
        this.cacheWbStuck = true;
        break;
      case 'ras-pending':
        this.rasBits = (fault.bits ?? 1) >>> 0 || 1;
        break;
      case 'ifc-pending':
        this.ifcPending = true;
        break;
      case 'engine-busy':
        this.engineBusy = true;
        break;
      case 'vf-not-ready':
        this.vfNotReady = true;
        break;
      case 'dma-fault':
        this.dmaRanges.push({ start: fault.iova, end: fault.iova + Math.max(1, fault.length ?? 1) });
        break;
    }
    if (this.tracer.enabled) this.tracer.instant('qm.fault', `inject ${fault.kind}`);
    this.onChange();
  }

  /** Clear one kind of fault, or every fault when `kind` is omitted. */
  clear(kind?: QmFaultKind): void {
    const all = kind === undefined;
    if (all || kind === 'mb-stuck-busy') this.mbStuckBusy = false;
    if (all || kind === 'mb-error') this.mbErrorStatus = 0;
    if (all || kind === 'cache-wb-stuck') this.cacheWbStuck = false;
    if (all || kind === 'ras-pending') this.rasBits = 0;
    if (all || kind === 'ifc-pending') this.ifcPending = false;
    if (all || kind === 'engine-busy') this.engineBusy = false;
    if (all || kind === 'vf-not-ready') this.vfNotReady = false;
    if (all || kind === 'dma-fault') this.dmaRanges = [];
    if (this.tracer.enabled) this.tracer.instant('qm.fault', `clear ${kind ?? 'all'}`);
    this.onChange();
  }

  /** The active faults, as injected. */
  active(): QmFault[] {
    const out: QmFault[] = [];
    if (this.mbStuckBusy) out.push({ kind: 'mb-stuck-busy' });
    if (this.mbErrorStatus !== 0) out.push({ kind: 'mb-error', status: this.mbErrorStatus });
    if (this.cacheWbStuck) out.push({ kind: 'cache-wb-stuck' });
    if (this.rasBits !== 0) out.push({ kind: 'ras-pending', bits: this.rasBits });
    if (this.ifcPending) out.push({ kind: 'ifc-pending' });
    if (this.engineBusy) out.push({ kind: 'engine-busy' });
    if (this.vfNotReady) out.push({ kind: 'vf-not-ready' });
    for (const r of this.dmaRanges) out.push({ kind: 'dma-fault', iova: r.start, length: r.end - r.start });
    return out;
  }

  /** True if a DMA of `length` bytes at `iova` hits an injected fault range. */
  dmaFaults(iova: number, length: number): boolean {
    const ranges = this.dmaRanges;
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i]!;
      if (iova < r.end && iova + length > r.start) return true;
    }
    return false;
  }

  /** Record that a fault took effect. */
  hit(kind: QmFaultKind, detail?: string): void {
    if (this.tracer.enabled) this.tracer.instant('qm.fault', `hit ${kind}`, detail ? { detail } : undefined);
  }
}
