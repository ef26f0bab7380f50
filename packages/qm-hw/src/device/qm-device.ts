import { type DmaPort, KernelError, Tracer, type VirtualClock } from '@vfio-sim/platform';
import { QM_ABNORMAL_INT_MASK_VALUE } from '../regs/hw-error.js';
import {
  HPRE_HAC_INT_STATUS,
  HZIP_CORE_INT_STATUS,
  QM_ABNORMAL_INT_MASK,
  QM_ABNORMAL_INT_SET,
  QM_ABNORMAL_INT_SOURCE,
  QM_ABNORMAL_INT_STATUS,
  QM_CAPBILITY,
  QM_IFC_INT_CFG,
  QM_IFC_INT_SET_P,
  QM_IFC_INT_SOURCE_P,
  QM_IFC_READY_STATUS,
  QM_MEM_INIT_DONE,
  QM_MEM_START_INIT,
  QM_MIG_REGION_SEL,
  QM_OOO_SHUTDOWN_SEL,
  QM_PF_BAR2_SIZE,
  QM_QP_DB_INTERVAL,
  QM_QP_MAX_NUM_SHIFT,
  QM_QUE_ISO_EN,
  QM_RAS_CE_ENABLE,
  QM_RAS_CE_THRESHOLD,
  QM_RAS_FE_ENABLE,
  QM_RAS_NFE_ENABLE,
  QM_VF_BAR2_SIZE,
  SEC_CORE_INT_STATUS,
} from '../regs/registers.js';
import {
  PCI_VENDOR_ID_HUAWEI,
  QM_ABNORMAL_EVENT_IRQ_VECTOR,
  QM_DEVICE_IDS,
  QM_HW_V1,
  QM_HW_V2,
  QM_HW_V3,
  QM_MAX_VFS_NUM_V2,
  QM_QNUM_V1,
  QM_QNUM_V2,
  type QmHwVer,
  type QmKind,
} from '../regs/versions.js';
import { DEFAULT_QM_LATENCIES, type QmLatencies } from './latencies.js';
import { QmEngine } from './qm-engine.js';
import { QmFunction } from './qm-function.js';
import type { QmFunctionHost } from './qm-function-host.js';
import { QmIfc } from './qm-ifc.js';
import { QmQueue } from './qm-queue.js';
import { QmVftTable } from './qm-vft.js';

/** RW PF registers the model stores without acting on them: the RAS enables and the OOO selection. */
const RAS_CFG_REGS: readonly number[] = [
  QM_RAS_CE_ENABLE,
  QM_RAS_FE_ENABLE,
  QM_RAS_NFE_ENABLE,
  QM_RAS_CE_THRESHOLD,
  QM_OOO_SHUTDOWN_SEL,
];

/** Options of {@link QmDevice}. */
export interface QmDeviceOptions {
  readonly kind: QmKind;
  readonly clock: VirtualClock;
  /** QM_HW_V1 0x20 / V2 0x21 / V3 0x30 (default V3). */
  readonly version?: QmHwVer;
  /** PCI revision id (default = version). */
  readonly revision?: number;
  /** Default DMA port of every function (each can override with `setDmaPort`). */
  readonly dma?: DmaPort;
  readonly tracer?: Tracer;
  readonly latencies?: Partial<QmLatencies>;
  /** Queues of the whole QM (QM_CAPBILITY bits[10:0]; default V1 4096, else 1024). */
  readonly maxQpNum?: number;
  /** Most queues per function (QM_CAPBILITY bits[21:11]; default = maxQpNum). */
  readonly maxQpPerFun?: number;
  /** Doorbell isolation (QM_QUE_ISO_EN / QM_QUE_ISO_CFG_V bit0; default false). */
  readonly dbIsolation?: boolean;
}

/**
 * One HiSilicon accelerator (ZIP, SEC or HPRE) with its QM: the PF, up to 63 VFs after
 * {@link sriovEnable}, the VFT, the queues, the engine and the PF-only registers.
 *
 * PF-only registers (PF BAR2): QM_ABNORMAL_INT_SOURCE (W1C) / _MASK (RW, reset value
 * QM_ABNORMAL_INT_MASK_VALUE = all masked) / _STATUS (RO, source & ~mask, plus the `ras-pending` fault) /
 * _SET (write-triggered, raises the abnormal vector when unmasked); the hardware sets SOURCE bits itself
 * for the errors it detects ({@link hwError}: QM_AXI_RRESP / QM_AXI_BRESP for failed DMA of queue
 * memory); QM_RAS_CE_ENABLE / _NFE_ENABLE / _FE_ENABLE / _CE_THRESHOLD and QM_OOO_SHUTDOWN_SEL (RW,
 * stored: the model reports every error the same way);
 * QM_MEM_START_INIT → QM_MEM_INIT_DONE; the VFT block; QM_IFC_READY_STATUS (RO), QM_IFC_INT_SET_P
 * (write-triggered), QM_IFC_INT_CFG (RW), QM_IFC_INT_SOURCE_P (W1C, 64-bit); QM_QUE_ISO_EN and
 * QM_CAPBILITY (RO); QM_MIG_REGION_SEL (RW, no effect); the engine's INT_STATUS (RO, 1 while any
 * function has the `engine-busy` fault).
 *
 * Kernel counterpart: the PCI device `hisi_zip` / `hisi_sec2` / `hisi_hpre` drive, and its VFs.
 */
export class QmDevice implements QmFunctionHost {
  readonly kind: QmKind;
  readonly clock: VirtualClock;
  readonly version: QmHwVer;
  readonly revision: number;
  readonly tracer: Tracer;
  readonly latencies: QmLatencies;
  readonly maxQpNum: number;
  readonly maxQpPerFun: number;
  readonly dbIsolation: boolean;
  readonly dma: DmaPort | undefined;
  readonly vft: QmVftTable;
  readonly ifc: QmIfc;
  readonly engine: QmEngine;
  readonly pf: QmFunction;
  private vfList: QmFunction[] = [];
  private readonly queues: (QmQueue | undefined)[];
  /** The queues ever used lie in `[usedFrom, usedTo)` (empty at first). */
  private usedFrom = Number.POSITIVE_INFINITY;
  private usedTo = 0;
  private abnormalSource = 0;
  private abnormalMask = QM_ABNORMAL_INT_MASK_VALUE;
  /** The registers of {@link RAS_CFG_REGS}, in that order (stored only). */
  private readonly rasCfg = new Uint32Array(RAS_CFG_REGS.length);
  private memInitDone = 0;
  private migRegionSel = 0;

  constructor(options: QmDeviceOptions) {
    const version = options.version ?? QM_HW_V3;
    if (version !== QM_HW_V1 && version !== QM_HW_V2 && version !== QM_HW_V3) {
      throw new KernelError('EINVAL', `unsupported QM version 0x${Number(version).toString(16)}`);
    }
    if (!Object.hasOwn(QM_DEVICE_IDS, options.kind))
      throw new KernelError('EINVAL', `unknown QM kind ${String(options.kind)}`);
    this.kind = options.kind;
    this.clock = options.clock;
    this.version = version;
    this.revision = options.revision ?? version;
    this.tracer = options.tracer ?? Tracer.disabled(options.clock);
    this.latencies = { ...DEFAULT_QM_LATENCIES, ...options.latencies };
    this.maxQpNum = options.maxQpNum ?? (version === QM_HW_V1 ? QM_QNUM_V1 : QM_QNUM_V2);
    if (!Number.isInteger(this.maxQpNum) || this.maxQpNum < 2 || this.maxQpNum > QM_QNUM_V1) {
      throw new KernelError('EINVAL', `maxQpNum ${this.maxQpNum} out of range`);
    }
    this.maxQpPerFun = options.maxQpPerFun ?? this.maxQpNum;
    this.dbIsolation = options.dbIsolation ?? false;
    this.dma = options.dma;
    this.queues = new Array<QmQueue | undefined>(this.maxQpNum);
    this.vft = new QmVftTable(this.clock, this.tracer, version, () => this.latencies.vftUs, this.maxQpNum);
    this.ifc = new QmIfc(this);
    this.engine = new QmEngine(this);
    this.pf = new QmFunction(
      this,
      0,
      {
        vendorId: PCI_VENDOR_ID_HUAWEI,
        deviceId: QM_DEVICE_IDS[this.kind].pf,
        revision: this.revision,
        isVirtfn: false,
      },
      QM_PF_BAR2_SIZE,
      this.maxQpPerFun * QM_QP_DB_INTERVAL,
    );
  }

  /** The VFs, VF i = function i + 1. */
  get vfs(): readonly QmFunction[] {
    return this.vfList;
  }

  /**
   * Create `numVfs` VFs (0 removes them). VFs get no queues until the PF driver programs their VFT.
   * @throws KernelError EINVAL for a count outside [0, 63] or on QM_HW_V1; EBUSY if VFs exist already.
   * Kernel counterpart: `pci_enable_sriov()` / `pci_disable_sriov()`.
   */
  sriovEnable(numVfs: number): QmFunction[] {
    if (!Number.isInteger(numVfs) || numVfs < 0 || numVfs > QM_MAX_VFS_NUM_V2) {
      throw new KernelError('EINVAL', `cannot enable ${numVfs} VFs (max ${QM_MAX_VFS_NUM_V2})`);
    }
    if (numVfs === 0) {
      for (const vf of this.vfList) vf.flr();
      this.vfList = [];
      return [];
    }
    if (this.version === QM_HW_V1) throw new KernelError('EINVAL', 'QM_HW_V1 has no SR-IOV');
    if (this.vfList.length > 0) throw new KernelError('EBUSY', `${this.vfList.length} VFs already enabled`);
    const list: QmFunction[] = [];
    for (let i = 0; i < numVfs; i++) {
      list.push(
        new QmFunction(
          this,
          i + 1,
          {
            vendorId: PCI_VENDOR_ID_HUAWEI,
            deviceId: QM_DEVICE_IDS[this.kind].vf,
            revision: this.revision,
            isVirtfn: true,
            vfIndex: i,
          },
          QM_VF_BAR2_SIZE,
          this.maxQpPerFun * QM_QP_DB_INTERVAL,
        ),
      );
    }
    this.vfList = list;
    if (this.tracer.enabled) this.tracer.instant('qm.sriov', 'enable', { numVfs });
    return [...list];
  }

  /** Function by QM function number (0 = PF, i + 1 = VF i). */
  functionByNumber(fun: number): QmFunction | undefined {
    return fun === 0 ? this.pf : this.vfList[fun - 1];
  }

  /** The queue at absolute index `abs` (created on first use). */
  queue(abs: number): QmQueue {
    let q = this.queues[abs];
    if (q === undefined) {
      q = new QmQueue(abs);
      this.queues[abs] = q;
      this.usedFrom = Math.min(this.usedFrom, abs);
      this.usedTo = Math.max(this.usedTo, abs + 1);
    }
    return q;
  }

  /** Whether a queue of `[base, base + number)` was ever used (else {@link existingQueue} is undefined for all). */
  anyQueueIn(base: number, number: number): boolean {
    return base < this.usedTo && base + number > this.usedFrom;
  }

  /** The queue at `abs` if it was ever used. */
  existingQueue(abs: number): QmQueue | undefined {
    return this.queues[abs];
  }

  /**
   * The QM detected a hardware error: OR `bits` into QM_ABNORMAL_INT_SOURCE and, when a bit that was
   * clear is now set and unmasked, raise the PF's abnormal interrupt (QM_ABNORMAL_EVENT_IRQ_VECTOR). An
   * error already pending raises nothing more: the PF driver's handler reads the status once per MSI.
   *
   * Kernel counterpart: the hardware behind QM_ABNORMAL_INT_STATUS, which `qm_abnormal_irq()` →
   * `qm_process_dev_error()` → `qm_hw_error_handle_v2()` reads.
   */
  hwError(bits: number, fun: number, iova: number): void {
    const fresh = bits & ~this.abnormalSource;
    this.abnormalSource = (this.abnormalSource | bits) >>> 0;
    if (this.tracer.enabled) {
      this.tracer.instant('qm.ras', 'hw error', { bits, fun, iova: `0x${iova.toString(16)}` });
    }
    if ((fresh & ~this.abnormalMask) !== 0) this.pf.raise(QM_ABNORMAL_EVENT_IRQ_VECTOR);
  }

  /**
   * Controller reset: every function reset (VFs first, then the PF with the VFT, IFC block and PF-only
   * registers), jobs in the engine abandoned, QM_ABNORMAL_INT_SOURCE cleared and the abnormal interrupt
   * masked again. SR-IOV stays enabled (the VFs exist, with no queues until the PF driver programs the
   * VFT again).
   *
   * Kernel counterpart: the chip reset the platform performs when `qm_soft_reset()` evaluates the ACPI
   * reset method (`err_info.acpi_rst`: "ZRST", "SRST", "HRST"); the register pokes around it (MSE, MSI,
   * master OOO) are not modelled.
   */
  softReset(): void {
    for (const vf of this.vfList) vf.flr();
    this.pf.flr();
    if (this.tracer.enabled) this.tracer.instant('qm.reset', 'controller reset');
  }

  /** Read of a PF-only register (0x100000+). */
  pfReadl(offset: number): number {
    if (QmVftTable.owns(offset)) return this.vft.readl(offset);
    const ras = RAS_CFG_REGS.indexOf(offset);
    if (ras >= 0) return this.rasCfg[ras]!;
    switch (offset) {
      case QM_ABNORMAL_INT_SOURCE:
        return this.abnormalSource;
      case QM_ABNORMAL_INT_MASK:
        return this.abnormalMask;
      case QM_ABNORMAL_INT_STATUS: {
        const bits = this.pf.faults.rasBits;
        if (bits !== 0) this.pf.faults.hit('ras-pending');
        return ((this.abnormalSource & ~this.abnormalMask) | bits) >>> 0;
      }
      case QM_MEM_INIT_DONE:
        return this.memInitDone;
      case QM_IFC_READY_STATUS:
        return this.ifc.readyLo;
      case QM_IFC_READY_STATUS + 4:
        return this.ifc.readyHi;
      case QM_IFC_INT_CFG:
        return this.ifc.cfg;
      case QM_IFC_INT_SOURCE_P:
        return this.ifc.sourceLo;
      case QM_IFC_INT_SOURCE_P + 4:
        return this.ifc.sourceHi;
      case QM_QUE_ISO_EN:
        return this.dbIsolation ? 1 : 0;
      case QM_CAPBILITY:
        return this.version === QM_HW_V3
          ? (this.maxQpNum | (this.maxQpPerFun << QM_QP_MAX_NUM_SHIFT)) >>> 0
          : 0;
      case QM_MIG_REGION_SEL:
        return this.migRegionSel;
      case SEC_CORE_INT_STATUS:
        return this.kind === 'sec' ? this.engineBusyBits() : 0;
      case HPRE_HAC_INT_STATUS:
        return this.kind === 'hpre' ? this.engineBusyBits() : 0;
      case HZIP_CORE_INT_STATUS:
        return this.kind === 'zip' ? this.engineBusyBits() : 0;
      default:
        return 0;
    }
  }

  /** Write of a PF-only register. */
  pfWritel(offset: number, value: number): void {
    if (QmVftTable.owns(offset)) {
      this.vft.writel(offset, value);
      return;
    }
    const ras = RAS_CFG_REGS.indexOf(offset);
    if (ras >= 0) {
      this.rasCfg[ras] = value;
      return;
    }
    switch (offset) {
      case QM_ABNORMAL_INT_SOURCE:
        this.abnormalSource = (this.abnormalSource & ~value) >>> 0;
        return;
      case QM_ABNORMAL_INT_MASK:
        this.abnormalMask = value >>> 0;
        return;
      case QM_ABNORMAL_INT_SET:
        this.abnormalSource = (this.abnormalSource | value) >>> 0;
        if ((value & ~this.abnormalMask) !== 0) this.pf.raise(QM_ABNORMAL_EVENT_IRQ_VECTOR);
        return;
      case QM_MEM_START_INIT:
        if ((value & 1) !== 0) {
          this.memInitDone = 0;
          this.clock.after(this.latencies.memInitUs, () => {
            this.memInitDone = 1;
          });
        }
        return;
      case QM_IFC_INT_SET_P:
        if ((value & 1) !== 0) this.ifc.triggerVfs();
        return;
      case QM_IFC_INT_CFG:
        this.ifc.cfg = value >>> 0;
        return;
      case QM_IFC_INT_SOURCE_P:
        this.ifc.clearSource(value >>> 0, 0);
        return;
      case QM_IFC_INT_SOURCE_P + 4:
        this.ifc.clearSource(0, value >>> 0);
        return;
      case QM_MIG_REGION_SEL:
        this.migRegionSel = value & 1;
        return;
    }
  }

  /** PF reset: the VFT, the IFC block and the PF-only registers return to reset values. */
  resetPfGlobals(): void {
    this.vft.reset();
    this.ifc.reset();
    this.abnormalSource = this.memInitDone = this.migRegionSel = 0;
    this.abnormalMask = QM_ABNORMAL_INT_MASK_VALUE;
    this.rasCfg.fill(0);
  }

  /** PF-global registers and the VFT, for snapshots. */
  snapshotGlobals(): Record<string, unknown> {
    return {
      kind: this.kind,
      version: this.version,
      maxQpNum: this.maxQpNum,
      dbIsolation: this.dbIsolation,
      vft: this.vft.ranges(),
      abnormal: {
        source: this.abnormalSource,
        mask: this.abnormalMask,
        ras: { ce: this.rasCfg[0], fe: this.rasCfg[1], nfe: this.rasCfg[2], oooShutdownSel: this.rasCfg[4] },
      },
      ifc: {
        ready: [this.ifc.readyLo, this.ifc.readyHi],
        source: [this.ifc.sourceLo, this.ifc.sourceHi],
        cfg: this.ifc.cfg,
      },
      numVfs: this.vfList.length,
    };
  }

  private engineBusyBits(): number {
    if (this.pf.faults.engineBusy) return 1;
    for (const vf of this.vfList) if (vf.faults.engineBusy) return 1;
    return 0;
  }
}
