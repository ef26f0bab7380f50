import {
  type DmaPort,
  GuestMemory,
  IdentityDmaPort,
  KernelError,
  type MmioRegion,
  PAGE_SIZE,
  type Tracer,
  type VirtualClock,
} from '@vfio-sim/platform';
import { QM_PF_SET_QOS, QM_VF_GET_QOS } from '../regs/mailbox.js';
import { QM_ABNORMAL_INT_STATUS, QM_CAPBILITY, QM_QUE_ISO_EN } from '../regs/registers.js';
import {
  QM_ABNORMAL_EVENT_IRQ_VECTOR,
  QM_CMD_EVENT_IRQ_VECTOR,
  QM_EQ_EVENT_IRQ_VECTOR,
  QM_HW_V1,
  QM_HW_V2,
  QM_HW_V3,
  QM_QNUM_V1,
  QM_QNUM_V2,
  type QmHwVer,
} from '../regs/versions.js';
import type { QmVft } from '../regs/vft.js';
import { BumpAllocator } from './bump-allocator.js';
import { type QmSoftResetPort, qmControllerReset } from './controller-reset.js';
import { qmEqIrq } from './eq.js';
import { HisiQm } from './hisi-qm.js';
import { type AccErrResult, hisiQmDevErrInit, qmHwErrorsIn, qmProcessDevError } from './hw-error.js';
import {
  QM_WAIT_DST_ACK,
  type QmIfcMessage,
  qmCmdInit,
  qmCmdProcess,
  qmMbCmdIrq,
  qmPingSingleVf,
} from './ifc.js';
import { qmDevMemReset } from './mem-reset.js';
import { qmMemoryLayout, qmUseMemoryLayout } from './qm-memory.js';
import { hisiQmStart } from './qm-start-stop.js';
import { qmSetVft, qmVfQAssign } from './vft.js';

/** The QoS a function has until it is configured (`QM_QOS_MAX_VAL`). */
export const QM_QOS_MAX_VAL = 1000;
/** Queues the PF keeps for itself by default (the drivers' `pf_q_num` default, e.g. HZIP_PF_DEF_Q_NUM). */
export const PF_DEF_Q_NUM = 64;

/** What the PF driver needs of one QM function of the device model (`QmFunction` satisfies it). */
export interface QmFunctionPort {
  readonly bar2: MmioRegion;
  readonly bar4?: MmioRegion;
  readonly pci: { readonly deviceId: number; readonly revision: number };
  /** Where the function's DMA goes (`QmFunction.setDmaPort`). */
  setDmaPort(port: DmaPort): void;
  /** Who receives the function's interrupt vectors (`QmFunction.setInterruptHandler`). */
  setInterruptHandler(handler: (vector: number) => void): void;
}

/**
 * What the PF driver needs of the device model (`QmDevice` satisfies it): the PF, SR-IOV, and the chip
 * reset a controller reset ends in.
 */
export interface QmDevicePort extends QmSoftResetPort {
  readonly pf: QmFunctionPort;
  /** Create `n` VFs and return them (`QmDevice.sriovEnable`). */
  sriovEnable(n: number): readonly QmFunctionPort[];
}

/** Options of {@link PfDriver.probe}. */
export interface PfDriverOptions {
  readonly device: QmDevicePort;
  readonly clock: VirtualClock;
  /** VFs to enable (`sriov_numvfs`). */
  readonly numVfs: number;
  /** Cap of queues per function (`max_qp_num`; default: the hardware's). */
  readonly qpPerVf?: number;
  /** Queues the PF keeps (`pf_q_num`, default 64). */
  readonly pfQpNum?: number;
  /** Host kernel memory for the PF's own contexts and rings (default: a fresh 4 MiB). */
  readonly memory?: GuestMemory;
  readonly tracer?: Tracer;
}

/** A VF message the PF received, with the function it came from. */
export interface PfIfcReceived extends QmIfcMessage {
  readonly fun: number;
}

/** One abnormal interrupt the PF driver handled: what it read, logged and decided. */
export interface PfHwErrorRecord {
  /** Virtual time of the interrupt (µs). */
  readonly at: number;
  /** QM_ABNORMAL_INT_STATUS as the handler found it. */
  readonly status: number;
  /** The `qm_hw_error[]` names of the set bits (`qm_axi_bresp`, …). */
  readonly errors: readonly string[];
  /** `qm_process_dev_error()`'s verdict. */
  readonly result: AccErrResult;
  /** Whether this interrupt scheduled the controller reset (false if one was already scheduled). */
  readonly resetScheduled: boolean;
}

/** One controller reset the PF driver ran. */
export interface PfResetRecord {
  readonly startedAt: number;
  readonly endedAt: number;
  /** The errno of the step that failed, if one did (the device then stays down, as in the kernel). */
  readonly errno?: string;
}

/**
 * The host's PF driver (hisi_zip / hisi_sec2 / hisi_hpre `probe` on the PF): initialises the PF's QM,
 * starts it (programming its own VFT), enables SR-IOV and gives each VF its queue range through the VFT
 * (`qm_vf_q_assign`), and serves VF requests arriving on the IFC interrupt (VF_GET_QOS → PF_SET_QOS).
 *
 * Kernel counterpart: `hisi_zip_probe()` → `hisi_qm_init()`, `hisi_qm_start()`, `hisi_qm_sriov_enable()`;
 * `qm_cmd_process()` on the PF.
 */
export class PfDriver {
  /** VF messages received (observation). */
  readonly ifcReceived: PfIfcReceived[] = [];
  /** Replies that failed (e.g. a VF that never fetched its message). */
  readonly ifcErrors: KernelError[] = [];
  /** Abnormal (RAS) interrupts handled, in order (observation; the messages are in `pfQm.log`). */
  readonly hwErrors: PfHwErrorRecord[] = [];
  /** Controller resets run, in order (observation). */
  readonly resets: PfResetRecord[] = [];
  private readonly resetListeners: ((record: PfResetRecord) => void)[] = [];
  private cmdWorkPending = false;

  private constructor(
    /** The device, for the chip reset at the end of a controller reset. */
    private readonly device: QmSoftResetPort,
    /** The PF's `struct hisi_qm`: what `pci_iov_get_pf_drvdata()` returns to the vfio variant driver. */
    readonly pfQm: HisiQm,
    /** The VFs, index 0 = VF 1 (function number 1). */
    readonly vfs: readonly QmFunctionPort[],
    /** Queue range of each VF, index 0 = VF 1. */
    readonly vfRanges: readonly QmVft[],
  ) {}

  /**
   * Probe the PF and enable `numVfs` VFs.
   * @throws KernelError EINVAL (bad VF count, too few queues), ETIMEDOUT (memory init or VFT handshake),
   * or a mailbox errno from starting the PF's QM.
   */
  static probe(options: PfDriverOptions): PfDriver {
    const { device, clock } = options;
    const pf = device.pf;
    const rev = pf.pci.revision;
    if (rev !== QM_HW_V1 && rev !== QM_HW_V2 && rev !== QM_HW_V3) {
      throw new KernelError('EINVAL', `unsupported QM version 0x${rev.toString(16)}`);
    }
    const ver: QmHwVer = rev;
    const memory = options.memory ?? new GuestMemory(4 << 20);
    pf.setDmaPort(new IdentityDmaPort(memory));
    const iso = ver >= QM_HW_V3 && pf.bar4 !== undefined && (pf.bar2.readl(QM_QUE_ISO_EN) & 1) === 1;
    const qm = new HisiQm({
      ioBase: pf.bar2,
      ...(pf.bar4 !== undefined ? { dbIoBase: pf.bar4 } : {}),
      useDbIsolation: iso,
      clock,
      funType: 'PF',
      ver,
      deviceId: pf.pci.deviceId,
      memory,
      ...(options.tracer !== undefined ? { tracer: options.tracer } : {}),
      name: 'qm-pf',
    });
    PfDriver.getQpNum(qm, options.pfQpNum ?? PF_DEF_Q_NUM, options.qpPerVf);
    PfDriver.memoryInit(qm);
    qmDevMemReset(qm);
    hisiQmDevErrInit(qm);
    const drv0 = { ref: undefined as PfDriver | undefined };
    pf.setInterruptHandler((vector) => drv0.ref?.handleInterrupt(vector));
    if (ver >= QM_HW_V3) qmCmdInit(qm);
    hisiQmStart(qm);
    let ranges: QmVft[] = [];
    let vfs: readonly QmFunctionPort[] = [];
    if (options.numVfs > 0) {
      ranges = qmVfQAssign(qm, options.numVfs);
      qm.vfsNum = options.numVfs;
      vfs = device.sriovEnable(options.numVfs);
    }
    const drv = new PfDriver(device, qm, vfs, ranges);
    drv0.ref = drv;
    return drv;
  }

  /** Queue counts: total from the version / QM_CAPBILITY, the PF's own share from `pf_q_num`. */
  private static getQpNum(qm: HisiQm, pfQpNum: number, cap: number | undefined): void {
    if (qm.ver === QM_HW_V1) {
      qm.ctrlQpNum = QM_QNUM_V1;
      qm.maxQpNum = QM_QNUM_V1;
    } else if (qm.ver === QM_HW_V2) {
      qm.ctrlQpNum = QM_QNUM_V2;
      qm.maxQpNum = QM_QNUM_V2;
    } else {
      const capability = qm.ioBase.readl(QM_CAPBILITY);
      qm.ctrlQpNum = capability & 0x7ff || QM_QNUM_V2;
      qm.maxQpNum = (capability >>> 11) & 0x7ff || qm.ctrlQpNum;
    }
    if (cap !== undefined) qm.maxQpNum = Math.min(qm.maxQpNum, cap);
    if (pfQpNum < 2 || pfQpNum > qm.ctrlQpNum) {
      throw new KernelError('EINVAL', `pf_q_num ${pfQpNum} outside [2, ${qm.ctrlQpNum}]`);
    }
    qm.qpBase = 0;
    qm.qpNum = pfQpNum;
  }

  /** Place the PF's EQE/AEQE rings and SQC/CQC arrays in host memory (`hisi_qm_memory_init`). */
  private static memoryInit(qm: HisiQm): void {
    const mem = qm.memory as GuestMemory;
    qmUseMemoryLayout(qm, qmMemoryLayout(new BumpAllocator(PAGE_SIZE, mem.size), qm.qpNum));
  }

  /**
   * The PF's `struct hisi_qm` as the vfio variant driver obtains it for VF `vfIndex` (0-based) with
   * `pci_iov_get_pf_drvdata()`.
   * @throws KernelError ENODEV if there is no such VF.
   */
  qmFor(vfIndex: number): HisiQm {
    if (!Number.isInteger(vfIndex) || vfIndex < 0 || vfIndex >= this.vfs.length) {
      throw new KernelError('ENODEV', `no VF ${vfIndex}`);
    }
    return this.pfQm;
  }

  /**
   * A host-side `struct hisi_qm` over VF `vfIndex`'s BAR2 (mailbox use only, no DMA memory): what the
   * vfio variant driver embeds as `vf_qm` and sets up at open.
   */
  vfQm(vfIndex: number, clock = this.pfQm.clock): HisiQm {
    this.qmFor(vfIndex);
    const vf = this.vfs[vfIndex] as QmFunctionPort;
    return new HisiQm({
      ioBase: vf.bar2,
      clock,
      funType: 'VF',
      ver: this.pfQm.ver,
      deviceId: vf.pci.deviceId,
      name: `qm-vf${vfIndex + 1}`,
    });
  }

  /** Change VF `funNum`'s queue range (1-based function number). Kernel counterpart: `hisi_qm_set_vft()`. */
  setVfRange(funNum: number, base: number, number: number): void {
    qmSetVft(this.pfQm, funNum, base, number);
  }

  /**
   * The PF's interrupt handler: vector 2 schedules the IFC work (VF requests), vector 0 the PF's own
   * completions, vector 3 handles a hardware error ({@link abnormalIrq}). Registered on `device.pf` at
   * probe.
   */
  handleInterrupt(vector: number): boolean {
    if (vector === QM_CMD_EVENT_IRQ_VECTOR) {
      if (!qmMbCmdIrq(this.pfQm)) return false;
      this.scheduleCmdWork();
      return true;
    }
    if (vector === QM_EQ_EVENT_IRQ_VECTOR) return qmEqIrq(this.pfQm, () => {});
    if (vector === QM_ABNORMAL_EVENT_IRQ_VECTOR) {
      this.abnormalIrq();
      return true;
    }
    return false;
  }

  /**
   * The abnormal (RAS) interrupt: read, log and judge the QM's hardware errors; if the verdict is a
   * controller reset and none is scheduled (and the driver is not being removed), schedule the reset
   * work ({@link controllerReset}), which runs as soon as the interrupt returns.
   *
   * Kernel counterpart: `qm_abnormal_irq()` → `qm_process_dev_error()`, `schedule_work(&qm->rst_work)`.
   */
  abnormalIrq(): void {
    const qm = this.pfQm;
    qm.dfx.abnormalIrqCnt++;
    const status = qm.ioBase.readl(QM_ABNORMAL_INT_STATUS);
    const result = qmProcessDevError(qm);
    const schedule = result === 'NEED_RESET' && !qm.miscCtl.driverRemoving && !qm.miscCtl.rstSched;
    this.hwErrors.push({
      at: qm.clock.now(),
      status,
      errors: qmHwErrorsIn(status & qm.errorMask).map((e) => e.msg),
      result,
      resetScheduled: schedule,
    });
    if (!schedule) return;
    qm.miscCtl.rstSched = true;
    qm.clock.after(0, () => this.controllerReset());
  }

  /**
   * The reset work: reset the controller and bring the PF and the VFs' queues back
   * ({@link qmControllerReset}). A failure is logged ("controller reset failed") and recorded in
   * {@link resets}; the device then stays down, as in the kernel.
   *
   * Kernel counterpart: `hisi_qm_controller_reset()`.
   */
  controllerReset(): void {
    const qm = this.pfQm;
    const startedAt = qm.clock.now();
    let record: PfResetRecord;
    try {
      qmControllerReset(qm, this.device);
      record = { startedAt, endedAt: qm.clock.now() };
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      qm.log.push(`controller reset failed (${e.ret})`);
      record = { startedAt, endedAt: qm.clock.now(), errno: e.errno };
    }
    this.resets.push(record);
    for (const cb of this.resetListeners) cb(record);
  }

  /**
   * Call `cb` after every controller reset ({@link controllerReset}, added to {@link resets}): every
   * function's queues were reset, whether or not its driver took the PF's QM_PF_SRST_PREPARE (a guest
   * whose vCPUs are stopped cannot, and the reset goes on without it, as qm.c does). Observation for the
   * VMM's accounting; kernel counterpart: none.
   */
  onControllerReset(cb: (record: PfResetRecord) => void): void {
    this.resetListeners.push(cb);
  }

  private scheduleCmdWork(): void {
    if (this.cmdWorkPending) return;
    this.cmdWorkPending = true;
    const qm = this.pfQm;
    const work = (): void => {
      if (qm.mailboxLock.locked) {
        qm.clock.after(10, work);
        return;
      }
      this.cmdWorkPending = false;
      qmCmdProcess(qm, (msg, fun) => this.dispatch(msg, fun));
    };
    qm.clock.after(0, work);
  }

  /**
   * React to one VF message. VF_GET_QOS is answered with PF_SET_QOS | qos << 32 to that VF. The reply is
   * sent as separate work one acknowledgement period later: in the kernel it runs concurrently with the
   * VF's own wait loop, which in this single-threaded model must first return.
   */
  private dispatch(msg: QmIfcMessage, fun: number): void {
    this.ifcReceived.push({ ...msg, fun });
    if (msg.cmd !== QM_VF_GET_QOS) return;
    const qm = this.pfQm;
    const reply = (): void => {
      if (qm.mailboxLock.locked) {
        qm.clock.after(10, reply);
        return;
      }
      try {
        qmPingSingleVf(qm, QM_PF_SET_QOS, QM_QOS_MAX_VAL, fun);
      } catch (e) {
        if (e instanceof KernelError) this.ifcErrors.push(e);
        else throw e;
      }
    };
    qm.clock.after(QM_WAIT_DST_ACK * 1000, reply);
  }
}
