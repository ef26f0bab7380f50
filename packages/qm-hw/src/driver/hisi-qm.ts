import type { GuestMemory, MmioRegion, Tracer, VirtualClock } from '@vfio-sim/platform';
import type { QmErrMasks } from '../regs/hw-error.js';
import { QM_QP_DB_INTERVAL } from '../regs/registers.js';
import type { QmHwVer } from '../regs/versions.js';
import { MailboxLock } from './mailbox-lock.js';
import type { HisiQp } from './qp.js';

/** `enum qm_fun_type` as a string: which kind of function a {@link HisiQm} drives. */
export type QmFunType = 'PF' | 'VF';

/**
 * `enum qm_state`: the life cycle of a QM as qm.c tracks it (`qm->status.flags`).
 * Kernel counterpart: `QM_INIT`, `QM_START`, `QM_CLOSE`, `QM_STOP`.
 */
export type QmState = 'INIT' | 'START' | 'CLOSE' | 'STOP';

/**
 * The software state of the event queues (`struct hisi_qm_status` in the kernel): heads and phases the
 * driver compares entries against.
 */
export interface HisiQmStatus {
  /** Next EQE to consume (`eq_head`). */
  eqHead: number;
  /** Next AEQE to consume (`aeq_head`). */
  aeqHead: number;
  /** Phase a valid EQE carries (`eqc_phase`, starts true). */
  eqcPhase: boolean;
  /** Phase a valid AEQE carries (`aeqc_phase`). */
  aeqcPhase: boolean;
  /** `flags`: the QM state. */
  flags: QmState;
}

/** Options of {@link HisiQm}. */
export interface HisiQmOptions {
  /** BAR2 register space (kernel `qm->io_base`). */
  readonly ioBase: MmioRegion;
  /**
   * BAR4 doorbell space, used for SQ/CQ doorbells when doorbell isolation is on (kernel
   * `qm->db_io_base`; without isolation the kernel points it at BAR2).
   */
  readonly dbIoBase?: MmioRegion;
  /** Whether SQ/CQ doorbells go to BAR4, one 64 KiB page per queue (`qm->use_db_isolation`). */
  readonly useDbIsolation?: boolean;
  readonly clock: VirtualClock;
  readonly funType: QmFunType;
  /** Hardware version (`qm->ver` = PCI revision). */
  readonly ver: QmHwVer;
  /** PCI device id of the function (`qm->pdev->device`); the interrupt-state check picks the engine by it. */
  readonly deviceId?: number;
  /**
   * Memory the function's DMA addresses refer to, as the CPU sees it (kernel: the coherent and streaming
   * DMA buffers). Needed by the helpers that build contexts (queue pairs, EQ/AEQ); not by the mailbox.
   */
  readonly memory?: GuestMemory;
  readonly tracer?: Tracer;
  /** Name for messages and traces (kernel: `dev_name(&pdev->dev)`). */
  readonly name?: string;
}

/**
 * The driver-side state of one QM function: what `struct hisi_qm` holds for the PF driver, the guest's
 * VF driver and the vfio variant driver alike. Fields keep the kernel's names in camelCase.
 *
 * Kernel counterpart: `struct hisi_qm` (include/linux/hisi_acc_qm.h).
 */
export class HisiQm {
  /** BAR2 (`io_base`). */
  readonly ioBase: MmioRegion;
  /** Doorbell space (`db_io_base`): BAR4 with isolation, otherwise BAR2. */
  dbIoBase: MmioRegion;
  /** Bytes between two queues' doorbells in {@link dbIoBase} (`db_interval`: 0x10000 or 0). */
  dbInterval: number;
  /** `use_db_isolation`. */
  useDbIsolation: boolean;
  readonly clock: VirtualClock;
  /** `fun_type`. */
  readonly funType: QmFunType;
  /** `ver`. */
  readonly ver: QmHwVer;
  /** `pdev->device`. */
  readonly deviceId: number | undefined;
  /** CPU view of the memory behind this function's DMA addresses. */
  memory: GuestMemory | undefined;
  readonly tracer: Tracer | undefined;
  readonly name: string;

  /** First queue of this function (absolute queue number, `qp_base`). */
  qpBase = 0;
  /** Queues of this function (`qp_num`). */
  qpNum = 0;
  /** Queues the whole QM has (PF: `ctrl_qp_num`). */
  ctrlQpNum = 0;
  /** Most queues one function may own (PF: `max_qp_num`). */
  maxQpNum = 0;
  /** VFs enabled (PF: `vfs_num`). */
  vfsNum = 0;

  /** DMA address of the SQC array given to the hardware by SQC_BT (`sqc_dma`). */
  sqcDma = 0;
  /** DMA address of the CQC array (CQC_BT, `cqc_dma`). */
  cqcDma = 0;
  /** DMA address of the EQC buffer loaded by the EQC mailbox (kernel: a temporary mapping). */
  eqcDma = 0;
  /** DMA address of the AEQC buffer loaded by the AEQC mailbox. */
  aeqcDma = 0;
  /** DMA address of the EQE ring (`eqe_dma`). */
  eqeDma = 0;
  /** DMA address of the AEQE ring (`aeqe_dma`). */
  aeqeDma = 0;
  /** SQE size in bytes (`sqe_size`). */
  sqeSize = 128;
  /**
   * The coherent block holding the EQEs, AEQEs, SQC array and CQC array (`qdma`); cleared by
   * hisi_qm_stop. Size 0 = none.
   */
  qdma = { dma: 0, size: 0 };

  /** Queue pairs by function-relative id (`qp_array`). */
  readonly qpArray: (HisiQp | undefined)[] = [];
  /** Queue pairs in use (`qp_in_used`). */
  qpInUsed = 0;

  /** `status`. */
  readonly status: HisiQmStatus = {
    eqHead: 0,
    aeqHead: 0,
    eqcPhase: true,
    aeqcPhase: true,
    flags: 'INIT',
  };

  /** Serialises mailbox commands of this function (`mailbox_lock`). */
  readonly mailboxLock: MailboxLock;

  /** debugfs counters (`debug.dfx`): mailbox errors, spurious EQ, AEQ and abnormal interrupts. */
  readonly dfx = { mbErrCnt: 0, errIrqCnt: 0, aeqIrqCnt: 0, abnormalIrqCnt: 0 };

  /** PF: the QM error masks the accelerator driver configured (`err_info`, QM half). */
  errInfo: QmErrMasks | undefined;
  /** PF: `ce | nfe | fe` of {@link errInfo} (`error_mask`), set by the hardware-error init. */
  errorMask = 0;
  /** `err_status`: a multi-bit ECC error was seen (`is_qm_ecc_mbit`). */
  readonly errStatus = { isQmEccMbit: false };
  /**
   * `misc_ctl` bits: QM_DRIVER_REMOVING (`driverRemoving`), QM_RST_SCHED (`rstSched`, a controller reset
   * is scheduled), QM_RESETTING (`resetting`, a reset flow runs).
   */
  readonly miscCtl = { driverRemoving: false, rstSched: false, resetting: false };

  /**
   * Model only: the system running this driver instance is gone (a guest whose VM quit — after a
   * migration its driver goes on in the destination VM from guest RAM). Its deferred work (works
   * waiting on the mailbox, sleeping polls, reset waits) does nothing from then on; kernel counterpart:
   * none — on a real host the threads vanish with the VM.
   */
  halted = false;

  /** The messages the kernel would print for this function (dev_err, pci_warn, dev_info), in order. */
  readonly log: string[] = [];

  constructor(options: HisiQmOptions) {
    this.ioBase = options.ioBase;
    this.useDbIsolation = options.useDbIsolation === true && options.dbIoBase !== undefined;
    this.dbIoBase = this.useDbIsolation && options.dbIoBase !== undefined ? options.dbIoBase : options.ioBase;
    this.dbInterval = this.useDbIsolation ? QM_QP_DB_INTERVAL : 0;
    this.clock = options.clock;
    this.funType = options.funType;
    this.ver = options.ver;
    this.deviceId = options.deviceId;
    this.memory = options.memory;
    this.tracer = options.tracer;
    this.name = options.name ?? (options.funType === 'PF' ? 'qm-pf' : 'qm-vf');
    this.mailboxLock = new MailboxLock(this.name);
  }
}
