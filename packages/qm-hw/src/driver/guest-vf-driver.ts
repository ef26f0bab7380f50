import {
  type DmaPort,
  type ErrnoName,
  type GuestMemory,
  KernelError,
  type MmioRegion,
  type Tracer,
  type VirtualClock,
} from '@vfio-sim/platform';
import { QM_CQ_OVERFLOW, QM_CQE_ERROR, QM_EQ_OVERFLOW } from '../regs/contexts.js';
import {
  QM_PF_FLR_PREPARE,
  QM_PF_RESET_DONE,
  QM_PF_SET_QOS,
  QM_PF_SRST_PREPARE,
  QM_VF_GET_QOS,
  QM_VF_PREPARE_DONE,
  QM_VF_PREPARE_FAIL,
  QM_VF_START_DONE,
  QM_VF_START_FAIL,
} from '../regs/mailbox.js';
import { QM_IFC_INT_SOURCE_V, QM_NOT_READY, QM_QUE_ISO_CFG_V } from '../regs/registers.js';
import { QM_SQE_SIZE, QM_SQE_STATUS_OK, qm_sqe } from '../regs/sqe.js';
import {
  QM_AEQ_EVENT_IRQ_VECTOR,
  QM_CMD_EVENT_IRQ_VECTOR,
  QM_EQ_EVENT_IRQ_VECTOR,
  QM_HW_V3,
  type QmHwVer,
} from '../regs/versions.js';
import { qmResetBitClear, qmResetPrepareReady } from './controller-reset.js';
import { type QmAeqEvent, qmAeqIrq, qmEqIrq, qmGetCompleteEqes } from './eq.js';
import {
  GUEST_JOB_KEY_SIZE,
  GUEST_VF_DRIVER_MAGIC,
  GUEST_VF_DRIVER_STATE_VERSION,
  type GuestVfDriverState,
  type GuestVfLayout,
  guest_job_slot,
  guest_vf_driver_state,
  guestVfLayout,
} from './guest-vf-layout.js';
import { HisiQm, type QmState } from './hisi-qm.js';
import {
  QM_MAX_VF_WAIT_COUNT,
  QM_WAIT_DST_ACK,
  type QmIfcMessage,
  qmClearCmdInterrupt,
  qmCmdInit,
  qmCmdProcess,
  qmCmdUninit,
  qmGetIfc,
  qmMbCmdIrq,
  qmPingPf,
  qmPingPfDeferred,
} from './ifc.js';
import { qmUseMemoryLayout } from './qm-memory.js';
import { hisiQmSetState, hisiQmStart, hisiQmStop, type QmStopReason, qmRestart } from './qm-start-stop.js';
import {
  HisiQp,
  hisiQmCreateQp,
  hisiQmStartQp,
  hisiQmStopQp,
  hisiQpSend,
  type QpState,
  qmPollReqCb,
} from './qp.js';
import { qmGetVftV2 } from './vft.js';

/** Options of {@link GuestVfDriver.probe} / {@link GuestVfDriver.resume}. */
export interface GuestVfDriverOptions {
  /** The VF's BAR2 as the guest sees it (through the VMM). */
  readonly bar2: MmioRegion;
  /** The VF's BAR4 (doorbells when isolation is on). */
  readonly bar4?: MmioRegion;
  /** Guest RAM; every address the driver hands the device is a guest-physical address in it. */
  readonly memory: GuestMemory;
  /**
   * Accepted for symmetry with the device side; the driver itself only touches memory through the CPU
   * view (`memory`). Whoever builds the VM gives the device its DMA port.
   */
  readonly dma?: DmaPort;
  readonly clock: VirtualClock;
  /** First guest-physical address the driver may use (default 1 MiB). */
  readonly allocBase?: number;
  /** QM version = the VF's PCI revision (default V3). */
  readonly ver?: QmHwVer;
  /** The VF's PCI device id (recorded; default ZIP VF 0xa251). */
  readonly deviceId?: number;
  /** Jobs in flight at once: one data buffer each (default 32). */
  readonly bufferSlots?: number;
  /** Bytes of input and of output per job (default 64 KiB). */
  readonly bufferSize?: number;
  readonly tracer?: Tracer;
  readonly name?: string;
}

/** A job for the accelerator: an opcode (QM_SQE_OP_*) and its buffers. */
export interface QmJob {
  /** `QM_SQE_OP_*`. */
  readonly opcode: number;
  readonly input: Uint8Array;
  readonly key?: Uint8Array;
  readonly iv?: Uint8Array;
  /** Output capacity offered to the engine (default: the buffer size). */
  readonly outLen?: number;
}

/** A finished job, with its output read back from guest memory. */
export interface GuestJobResult {
  readonly jobId: number;
  readonly opcode: number;
  /** QM_SQE_STATUS_* written back by the hardware (0 = OK). */
  readonly status: number;
  readonly output: Uint8Array;
  /** SQ slot the job used. */
  readonly sqSlot: number;
  /** Virtual time of completion handling (µs). */
  readonly completedAt: number;
}

/**
 * A queue or device error the guest driver saw, and what it did about it. Every one is a hardware error
 * reported by the device: an AEQE, or the PF driver's reset after a hardware error (RAS) it handled.
 *
 * - `cqe-error` / `cq-overflow` (AEQE QM_CQE_ERROR / QM_CQ_OVERFLOW): the queue is stopped for good
 *   (`qm_disable_qp()`), its outstanding jobs fail.
 * - `eq-overflow` (AEQE QM_EQ_OVERFLOW): the function is reset (`qm_reset_function()`), outstanding jobs
 *   fail, the queue runs again.
 * - `device-reset` (IFC QM_PF_SRST_PREPARE / QM_PF_FLR_PREPARE from the PF): the QM stops until the PF
 *   says QM_PF_RESET_DONE (`qm_pf_reset_vf_process()`), outstanding jobs fail, the queue runs again.
 */
export interface GuestDeviceError {
  readonly kind: 'cqe-error' | 'cq-overflow' | 'eq-overflow' | 'device-reset';
  /** The AEQE type (QM_CQE_ERROR, QM_CQ_OVERFLOW, QM_EQ_OVERFLOW) or the PF's IFC command. */
  readonly code: number;
  /** The queue the event names (function-relative); the driver's queue for a device reset. */
  readonly qpId: number;
  /** Virtual time the driver handled it (µs). */
  readonly at: number;
  /** What the kernel prints for it. */
  readonly message: string;
}

/**
 * A job the guest driver gave up on: the hardware never reported its completion, and the queue it was
 * on was stopped by a {@link GuestDeviceError}. The errno is what the job's user gets (EIO).
 */
export interface GuestJobError {
  readonly jobId: number;
  readonly opcode: number;
  readonly errno: ErrnoName;
  /** The error that stopped the job's queue. */
  readonly cause: GuestDeviceError;
  /** Virtual time of the failure (µs). */
  readonly failedAt: number;
}

/** µs between a VF's looks for the PF's QM_PF_RESET_DONE (`QM_VF_RESET_WAIT_US`, qm.c). */
export const QM_VF_RESET_WAIT_US = 20_000;
/** How many times a VF looks for the PF's QM_PF_RESET_DONE before giving up (`QM_VF_RESET_WAIT_CNT`, qm.c). */
export const QM_VF_RESET_WAIT_CNT = 3000;

const QM_FLAGS: readonly QmState[] = ['INIT', 'START', 'CLOSE', 'STOP'];
const QP_FLAGS: readonly QpState[] = ['NONE', 'INIT', 'START', 'STOP', 'CLOSE'];
const DEFAULT_ALLOC_BASE = 0x10_0000;
const DEFAULT_BUFFER_SLOTS = 32;
const DEFAULT_BUFFER_SIZE = 0x1_0000;
const DEFAULT_DEVICE_ID = 0xa251;

/**
 * The accelerator driver running inside the guest on a VF (what hisi_zip / hisi_sec2 / hisi_hpre do on
 * a VF): reads its queue range by mailbox, places contexts and rings in guest memory, starts the QM and
 * queue 0, submits jobs and completes them from the EQ interrupt.
 *
 * All driver state lives in guest memory (a control block at the start of its area, a job table, the
 * rings, the SQEs), so after guest memory is copied to another host {@link resume} continues there over
 * the destination's BAR2 without touching the hardware — restoring the hardware is the vfio driver's
 * job. {@link exportState} returns the same state as plain data.
 *
 * Errors: every job ends once, in {@link onJobDone} (the hardware completed it, with its status) or in
 * {@link onJobError} (the hardware will never complete it: its queue was stopped by a queue or device
 * error, see {@link GuestDeviceError}; errno EIO). {@link onDeviceError} reports the error itself.
 *
 * Kernel counterpart: a VF probed by hisi_zip (`hisi_zip_probe` → `hisi_qm_init` → `hisi_qm_start`,
 * `hisi_qm_create_qp`/`hisi_qm_start_qp`, `hisi_qp_send`, `qm_irq` / `qm_aeq_irq` + `qm_aeq_thread` /
 * `qm_mb_cmd_irq` + `qm_cmd_process`).
 */
export class GuestVfDriver {
  /** Finished jobs in completion order (observation, not driver state: not carried by {@link resume}). */
  readonly completed: GuestJobResult[] = [];
  /** Jobs given up on, in order (observation, like {@link completed}). */
  readonly failed: GuestJobError[] = [];
  /** Queue and device errors handled, in order (observation). */
  readonly deviceErrors: GuestDeviceError[] = [];
  /** AEQ events seen (CQ overflow, EQ overflow, CQE error). */
  readonly aeqEvents: QmAeqEvent[] = [];
  /** IFC messages received from the PF. */
  readonly ifcReceived: QmIfcMessage[] = [];
  private readonly listeners: ((r: GuestJobResult) => void)[] = [];
  private readonly errorListeners: ((e: GuestJobError) => void)[] = [];
  private readonly deviceErrorListeners: ((e: GuestDeviceError) => void)[] = [];
  private readonly sqeBuf = new Uint8Array(QM_SQE_SIZE);
  private cmdWorkPending = false;
  /** The error a reset stop is handling (what {@link HisiQp.stopFailCb} attributes jobs to). */
  private stopCause: GuestDeviceError | undefined;

  private constructor(
    readonly qm: HisiQm,
    readonly qp: HisiQp,
    readonly layout: GuestVfLayout,
    private readonly memory: GuestMemory,
    private nextJobId: number,
    private mbQos: number,
  ) {
    qp.stopFailCb = () => {
      if (this.stopCause !== undefined) this.failOutstanding(this.stopCause);
    };
  }

  /**
   * Probe: read the VFT (mailbox SQC_VFT_V2), place memory, enable PF↔VF messages (V3), start the QM
   * (EQC, AEQC, SQC_BT, CQC_BT, page size, interrupts, QM_VF_STATE = READY) and queue 0 (SQC, CQC).
   * @throws KernelError from the failing step (mailbox EBUSY/ETIMEDOUT/EIO, ENOMEM if guest memory is too
   * small).
   */
  static probe(options: GuestVfDriverOptions): GuestVfDriver {
    const ver = options.ver ?? QM_HW_V3;
    const qm = GuestVfDriver.makeQm(options, ver);
    const vft = qmGetVftV2(qm);
    qm.qpBase = vft.base;
    qm.qpNum = vft.number;
    const layout = GuestVfDriver.place(options, qm.qpNum);
    const mem = options.memory;
    mem.fill(layout.ctrl, layout.buffers - layout.ctrl, 0);
    GuestVfDriver.wire(qm, layout);
    if (ver >= QM_HW_V3) qmCmdInit(qm);
    hisiQmStart(qm);
    const qp = hisiQmCreateQp(qm, 0, layout.sqe, layout.cqe);
    hisiQmStartQp(qp);
    const drv = new GuestVfDriver(qm, qp, layout, mem, 1, 0);
    drv.persist();
    if (qm.tracer?.enabled === true)
      qm.tracer.instant('guest', 'vf driver probed', { qpBase: qm.qpBase, qpNum: qm.qpNum });
    return drv;
  }

  /**
   * Continue a driver from its state in guest memory (the control block at `allocBase`), or from an
   * {@link exportState} result, without any register access: the hardware is assumed restored by the
   * vfio driver (or never touched, as after a same-host pause).
   * @throws KernelError EINVAL if no valid control block is found.
   */
  static resume(options: GuestVfDriverOptions, state?: GuestVfDriverState): GuestVfDriver {
    const mem = options.memory;
    const base = options.allocBase ?? DEFAULT_ALLOC_BASE;
    const st = state ?? guest_vf_driver_state.decode(mem.readBytes(base, guest_vf_driver_state.size));
    if (st.magic !== GUEST_VF_DRIVER_MAGIC || st.version !== GUEST_VF_DRIVER_STATE_VERSION) {
      throw new KernelError('EINVAL', `no guest VF driver state at 0x${base.toString(16)}`);
    }
    const qm = GuestVfDriver.makeQm(
      { ...options, deviceId: st.device_id },
      st.ver as QmHwVer,
      st.use_db_isolation === 1,
    );
    qm.qpBase = st.qp_base;
    qm.qpNum = st.qp_num;
    const layout = guestVfLayout(base, mem.size, st.qp_num, st.buffer_slots, st.buffer_size);
    GuestVfDriver.wire(qm, layout);
    qm.status.eqHead = st.eq_head;
    qm.status.aeqHead = st.aeq_head;
    qm.status.eqcPhase = st.eqc_phase === 1;
    qm.status.aeqcPhase = st.aeqc_phase === 1;
    qm.status.flags = QM_FLAGS[st.qm_flags] ?? 'INIT';
    const qp = new HisiQp(qm, st.qp_id, 0, layout.sqe, layout.cqe);
    qp.status.sqTail = st.sq_tail;
    qp.status.cqHead = st.cq_head;
    qp.status.cqcPhase = st.cqc_phase === 1;
    qp.status.used = st.used;
    qp.status.flags = QP_FLAGS[st.qp_flags] ?? 'NONE';
    qm.qpArray[qp.qpId] = qp;
    qm.qpInUsed = 1;
    const drv = new GuestVfDriver(qm, qp, layout, mem, st.next_job_id, st.mb_qos);
    if (state !== undefined) drv.persist();
    return drv;
  }

  private static makeQm(options: GuestVfDriverOptions, ver: QmHwVer, isolation?: boolean): HisiQm {
    const bar4 = options.bar4;
    const iso =
      isolation ??
      (bar4 !== undefined && ver >= QM_HW_V3 && (options.bar2.readl(QM_QUE_ISO_CFG_V) & 1) === 1);
    return new HisiQm({
      ioBase: options.bar2,
      ...(bar4 !== undefined ? { dbIoBase: bar4 } : {}),
      useDbIsolation: iso,
      clock: options.clock,
      funType: 'VF',
      ver,
      deviceId: options.deviceId ?? DEFAULT_DEVICE_ID,
      memory: options.memory,
      ...(options.tracer !== undefined ? { tracer: options.tracer } : {}),
      name: options.name ?? 'guest-vf',
    });
  }

  private static place(options: GuestVfDriverOptions, qpNum: number): GuestVfLayout {
    return guestVfLayout(
      options.allocBase ?? DEFAULT_ALLOC_BASE,
      options.memory.size,
      qpNum,
      options.bufferSlots ?? DEFAULT_BUFFER_SLOTS,
      options.bufferSize ?? DEFAULT_BUFFER_SIZE,
    );
  }

  private static wire(qm: HisiQm, layout: GuestVfLayout): void {
    qmUseMemoryLayout(qm, layout);
    qm.sqeSize = QM_SQE_SIZE;
  }

  /** Jobs submitted and not yet completed. */
  get inFlight(): number {
    return this.qp.status.used;
  }

  /** The QoS value last received from the PF (`qm->mb_qos`). */
  get qos(): number {
    return this.mbQos;
  }

  /** Call `cb` for every job that finishes (after it is added to {@link completed}). */
  onJobDone(cb: (result: GuestJobResult) => void): void {
    this.listeners.push(cb);
  }

  /**
   * Call `cb` for every job the driver gives up on (after it is added to {@link failed}): its queue was
   * stopped by a queue or device error and the hardware will never complete it. A job ends in exactly
   * one of {@link onJobDone} and this.
   */
  onJobError(cb: (error: GuestJobError) => void): void {
    this.errorListeners.push(cb);
  }

  /** Call `cb` for every queue or device error the driver handles (after it is added to {@link deviceErrors}). */
  onDeviceError(cb: (error: GuestDeviceError) => void): void {
    this.deviceErrorListeners.push(cb);
  }

  /** Whether a device reset is in progress (jobs are refused with EAGAIN until it ends). */
  get resetting(): boolean {
    return this.qm.miscCtl.resetting;
  }

  /**
   * Submit a job: copy its buffers into a free data slot in guest memory, write the SQE at the SQ tail
   * and ring the SQ doorbell (`hisi_qp_send`).
   * @returns the job id (increasing from 1).
   * @throws KernelError EINVAL (buffer too large), EBUSY (no free data slot or SQ full), EAGAIN (queue
   * stopped). Nothing is changed on failure.
   */
  submit(job: QmJob): number {
    const L = this.layout;
    if (this.qp.status.flags !== 'START' || this.qm.status.flags !== 'START') {
      throw new KernelError('EAGAIN', `${this.qm.name}: queue ${this.qp.qpId} is stopped`);
    }
    if (job.input.length > L.bufferSize || (job.outLen ?? 0) > L.bufferSize) {
      throw new KernelError('EINVAL', `job buffers exceed ${L.bufferSize} bytes`);
    }
    if ((job.key?.length ?? 0) > GUEST_JOB_KEY_SIZE || (job.iv?.length ?? 0) > GUEST_JOB_KEY_SIZE) {
      throw new KernelError('EINVAL', `key/iv exceed ${GUEST_JOB_KEY_SIZE} bytes`);
    }
    const slot = this.freeSlot();
    if (slot < 0) throw new KernelError('EBUSY', `all ${L.bufferSlots} job buffers in use`);
    const mem = this.memory;
    const bufIn = L.buffers + slot * L.bufferStride;
    const bufOut = bufIn + L.bufferSize;
    const bufKey = bufOut + L.bufferSize;
    const bufIv = bufKey + GUEST_JOB_KEY_SIZE;
    const jobId = this.nextJobId;
    const sqe = qm_sqe.zero();
    sqe.opcode = job.opcode;
    sqe.src_addr = BigInt(bufIn);
    sqe.dst_addr = BigInt(bufOut);
    sqe.src_len = job.input.length;
    sqe.dst_len = job.outLen ?? L.bufferSize;
    if (job.key !== undefined) {
      sqe.key_addr = BigInt(bufKey);
      sqe.key_len = job.key.length;
    }
    if (job.iv !== undefined) {
      sqe.iv_addr = BigInt(bufIv);
      sqe.iv_len = job.iv.length;
    }
    sqe.tag = slot;
    qm_sqe.encode(sqe, this.sqeBuf);
    mem.write(bufIn, job.input);
    if (job.key !== undefined) mem.write(bufKey, job.key);
    if (job.iv !== undefined) mem.write(bufIv, job.iv);
    const rec = L.slots + slot * guest_job_slot.size;
    mem.writeU32(rec + 4, jobId);
    mem.writeU32(rec + 8, job.opcode);
    mem.writeU32(rec + 12, job.input.length);
    hisiQpSend(this.qp, this.sqeBuf); // throws before any state change if stopped/full
    mem.writeU32(rec, 1);
    this.nextJobId = (jobId + 1) >>> 0;
    this.persist();
    if (this.qm.tracer?.enabled === true)
      this.qm.tracer.instant('guest', 'submit', { jobId, slot, opcode: job.opcode, bytes: job.input.length });
    return jobId;
  }

  /**
   * The VF's interrupt handler: vector 0 (EQ) completes jobs, vector 1 (AEQ) handles queue errors
   * (`qm_aeq_thread()`), vector 2 (IFC) schedules the message work (QoS replies, the PF's reset
   * commands). Wire it with `vf.setInterruptHandler(v => drv.handleInterrupt(v))`.
   * @returns whether the interrupt was for this driver (IRQ_HANDLED).
   */
  handleInterrupt(vector: number): boolean {
    let handled = false;
    switch (vector) {
      case QM_EQ_EVENT_IRQ_VECTOR:
        handled = qmEqIrq(this.qm, (qpId) => {
          if (qpId === this.qp.qpId && this.qp.status.flags === 'START') {
            qmPollReqCb(this.qp, (sqSlot) => this.complete(sqSlot));
          }
        });
        break;
      case QM_AEQ_EVENT_IRQ_VECTOR: {
        const events = qmAeqIrq(this.qm);
        this.aeqEvents.push(...events);
        for (const ev of events) this.aeqEvent(ev);
        handled = events.length > 0;
        break;
      }
      case QM_CMD_EVENT_IRQ_VECTOR:
        handled = qmMbCmdIrq(this.qm);
        if (handled) this.scheduleCmdWork();
        break;
      default:
        break;
    }
    this.persist();
    return handled;
  }

  /**
   * Process completions without an interrupt: consume the EQEs with the expected phase (ringing the EQ
   * doorbell) and the queue's CQEs. Use it after {@link resume} for completions the source hardware
   * wrote to guest memory whose interrupt the guest never saw.
   *
   * Kernel counterpart: the body of `qm_work_process()` (the EQ work), run directly.
   * @returns the number of jobs completed.
   */
  poll(): number {
    const before = this.completed.length;
    if (this.qp.status.flags === 'START') {
      qmGetCompleteEqes(this.qm);
      qmPollReqCb(this.qp, (sqSlot) => this.complete(sqSlot));
      this.persist();
    }
    return this.completed.length - before;
  }

  /**
   * Ask the PF for this VF's QoS: send VF_GET_QOS, then wait (10 ms steps, ≤ 40) for the PF's
   * PF_SET_QOS reply to arrive through the IFC interrupt.
   *
   * Kernel counterpart: `qm_vf_read_qos()`.
   * @throws KernelError from `qm_ping_pf` or ETIMEDOUT if no reply arrives.
   */
  readQos(): number {
    this.mbQos = 0;
    qmPingPf(this.qm, QM_VF_GET_QOS);
    let cnt = 0;
    for (;;) {
      this.qm.clock.udelay(QM_WAIT_DST_ACK * 1000);
      if (this.mbQos !== 0) break;
      if (++cnt > QM_MAX_VF_WAIT_COUNT) throw new KernelError('ETIMEDOUT', 'PF ping VF timeout');
    }
    this.persist();
    return this.mbQos;
  }

  /**
   * The guest running this driver is gone (its VM quit; after a migration the driver goes on from guest
   * RAM on the destination): no deferred work of this instance runs any more ({@link HisiQm.halted}).
   * Touches no register. Kernel counterpart: none — the guest's threads vanish with its VM.
   */
  halt(): void {
    this.qm.halted = true;
  }

  /**
   * Unload: stop queue 0, stop the QM (masks, clears queue memory) and write QM_VF_STATE = NOT_READY.
   * Kernel counterpart: `hisi_qm_stop_qp` + `hisi_qm_stop` + `hisi_qm_uninit` of a VF.
   */
  remove(): void {
    hisiQmStopQp(this.qp);
    if (this.qm.status.flags === 'START') hisiQmStop(this.qm);
    hisiQmSetState(this.qm, QM_NOT_READY);
    this.persist();
  }

  /** The driver's whole state as plain data (the same values as the control block in guest memory). */
  exportState(): GuestVfDriverState {
    return guest_vf_driver_state.decode(this.memory.readBytes(this.layout.ctrl, guest_vf_driver_state.size));
  }

  private scheduleCmdWork(): void {
    if (this.cmdWorkPending) return;
    this.cmdWorkPending = true;
    const work = (): void => {
      if (this.qm.halted) return;
      // A work item sleeping on the mailbox mutex: try again later while a command is in progress.
      if (this.qm.mailboxLock.locked) {
        this.qm.clock.after(10, work);
        return;
      }
      this.cmdWorkPending = false;
      qmCmdProcess(this.qm, (msg) => {
        this.ifcReceived.push(msg);
        if (msg.cmd === QM_PF_SET_QOS) this.mbQos = msg.data;
        else if (msg.cmd === QM_PF_SRST_PREPARE) this.pfResetProcess(msg.cmd, 'SOFT_RESET');
        else if (msg.cmd === QM_PF_FLR_PREPARE) this.pfResetProcess(msg.cmd, 'FLR');
      });
      this.persist();
    };
    this.qm.clock.after(0, work);
  }

  /**
   * Act on one AEQE: a CQ overflow or CQE error stops the queue it names for good and fails its
   * outstanding jobs; an EQ overflow resets the function (its jobs fail, the queue runs again).
   *
   * Kernel counterpart: the `switch` of `qm_aeq_thread()` — `qm_disable_qp()` (→ `hisi_qm_stop_qp()`),
   * `qm_reset_function()`. Model: `qm_disable_qp()` leaves an in-kernel queue's outstanding requests
   * without a callback (their users wait forever); the driver fails them with EIO instead.
   */
  private aeqEvent(ev: QmAeqEvent): void {
    const qm = this.qm;
    if (ev.type === QM_EQ_OVERFLOW) {
      qm.log.push('eq overflow, reset function');
      this.resetFunction(
        this.deviceError('eq-overflow', ev.type, this.qp.qpId, 'eq overflow, reset function'),
      );
      return;
    }
    if (ev.type !== QM_CQ_OVERFLOW && ev.type !== QM_CQE_ERROR) {
      qm.log.push(`unknown error type ${ev.type}`);
      return;
    }
    const message =
      ev.type === QM_CQ_OVERFLOW ? `cq overflow, stop qp(${ev.qpId})` : `cqe error, stop qp(${ev.qpId})`;
    if (ev.type === QM_CQ_OVERFLOW) qm.log.push(message);
    if (ev.qpId !== this.qp.qpId) return;
    const cause = this.deviceError(
      ev.type === QM_CQ_OVERFLOW ? 'cq-overflow' : 'cqe-error',
      ev.type,
      ev.qpId,
      message,
    );
    if (this.qp.status.flags === 'START') hisiQmStopQp(this.qp);
    this.failOutstanding(cause);
  }

  /**
   * Stop the QM as for an FLR (the queue marked resetting, its outstanding jobs failed) and start it
   * again with the queue. Kernel counterpart: `qm_reset_function()` (`hisi_qm_stop(qm, QM_FLR)`,
   * `qm_restart()`).
   */
  private resetFunction(cause: GuestDeviceError): void {
    const qm = this.qm;
    try {
      qmResetPrepareReady(qm);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      qm.log.push('reset function not ready');
      return;
    }
    try {
      this.stopForReset('FLR', cause);
      qmRestart(qm);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      qm.log.push('failed to start qm when reset function');
    } finally {
      qmResetBitClear(qm);
    }
  }

  /**
   * The PF announced a reset (QM_PF_SRST_PREPARE or QM_PF_FLR_PREPARE): mask the IFC interrupt, stop
   * the QM (outstanding jobs fail with EIO), answer QM_VF_PREPARE_DONE (or _FAIL), then look for the
   * PF's QM_PF_RESET_DONE every 20 ms for at most 60 s ({@link waitPfResetFinish}).
   *
   * Kernel counterpart: `qm_pf_reset_vf_process()` → `qm_pf_reset_vf_prepare()`. Model: the waits are
   * events on the clock rather than busy loops (see `qmPingPfDeferred`).
   */
  private pfResetProcess(cmd: number, reason: QmStopReason): void {
    const qm = this.qm;
    qm.log.push('device reset start...');
    qmCmdUninit(qm);
    const cause = this.deviceError('device-reset', cmd, this.qp.qpId, 'device reset start...');
    let answer = QM_VF_PREPARE_DONE;
    try {
      qmResetPrepareReady(qm);
      this.stopForReset(reason, cause);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      qm.log.push(`failed to stop QM, ret = ${e.ret}.`);
      qm.status.flags = 'STOP';
      answer = QM_VF_PREPARE_FAIL;
    }
    qmPingPfDeferred(qm, answer, 0, (err) => {
      if (err !== undefined) qm.log.push('PF responds timeout in reset prepare!');
    });
    this.waitPfResetFinish(0);
  }

  /**
   * Stop the QM for a reset; the jobs outstanding on the queue fail, attributed to `cause` (through
   * {@link HisiQp.stopFailCb} when the queue was running, directly when it was already stopped).
   */
  private stopForReset(reason: QmStopReason, cause: GuestDeviceError): void {
    const running = this.qp.status.flags === 'START';
    this.stopCause = cause;
    try {
      if (this.qm.status.flags === 'START') hisiQmStop(this.qm, reason);
    } finally {
      this.stopCause = undefined;
    }
    if (!running) this.failOutstanding(cause);
  }

  /**
   * One look for the PF's reset-done message (QM_IFC_INT_SOURCE_V = 1), `tries` looks done. When it is
   * there: fetch it, acknowledge, and start again if it is QM_PF_RESET_DONE.
   *
   * Kernel counterpart: `qm_wait_pf_reset_finish()` (its poll of QM_IFC_INT_SOURCE_V, one event per
   * look) and the rest of `qm_pf_reset_vf_process()`.
   */
  private waitPfResetFinish(tries: number): void {
    const qm = this.qm;
    qm.clock.after(QM_VF_RESET_WAIT_US, () => {
      if (qm.halted) return;
      const arrived = qm.ioBase.readl(QM_IFC_INT_SOURCE_V) === 1;
      if (!arrived || qm.mailboxLock.locked) {
        if (tries + 1 < QM_VF_RESET_WAIT_CNT) {
          this.waitPfResetFinish(tries + 1);
          return;
        }
        qm.log.push("couldn't get reset done status from PF, timeout!");
        this.pfResetGiveUp();
        return;
      }
      let cmd: number | undefined;
      try {
        cmd = qmGetIfc(qm, 0).cmd;
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
      }
      qmClearCmdInterrupt(qm, 0n);
      if (cmd === undefined) qm.log.push('failed to get msg from PF in reset done!');
      else if (cmd !== QM_PF_RESET_DONE) qm.log.push(`the cmd(${cmd}) is not reset done!`);
      if (cmd === QM_PF_RESET_DONE) this.pfResetVfDone();
      else this.pfResetGiveUp();
      this.persist();
    });
  }

  /**
   * The PF's reset is done: start the QM and the queues the reset stopped, unmask the IFC interrupt,
   * answer QM_VF_START_DONE (or _FAIL). Kernel counterpart: `qm_pf_reset_vf_done()` (the version with
   * `qm_restart()` and `qm_cmd_init()` before the answer).
   */
  private pfResetVfDone(): void {
    const qm = this.qm;
    let answer = QM_VF_START_DONE;
    try {
      qmRestart(qm);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      qm.log.push(`failed to start QM, ret = ${e.ret}.`);
      answer = QM_VF_START_FAIL;
    }
    qmCmdInit(qm);
    qmPingPfDeferred(qm, answer, 0, (err) => {
      if (err !== undefined) qm.log.push('PF responds timeout in reset done!');
    });
    qmResetBitClear(qm);
    qm.log.push('device reset done.');
  }

  /** The reset-done message never came (or was wrong): IFC back on, the QM stays stopped. */
  private pfResetGiveUp(): void {
    qmCmdInit(this.qm);
    qmResetBitClear(this.qm);
  }

  private deviceError(
    kind: GuestDeviceError['kind'],
    code: number,
    qpId: number,
    message: string,
  ): GuestDeviceError {
    const e: GuestDeviceError = { kind, code, qpId, at: this.qm.clock.now(), message };
    this.deviceErrors.push(e);
    if (this.qm.tracer?.enabled === true)
      this.qm.tracer.instant('guest', 'device error', { kind, code, qpId });
    for (const cb of this.deviceErrorListeners) cb(e);
    return e;
  }

  /**
   * Give up on every outstanding job of the queue: completions the hardware did write are taken first
   * (they are completions), then each job still in the job table fails with EIO, attributed to
   * `cause`. Model: stands for `qp_stop_fail_cb()`, which hands the kernel's `req_cb` every outstanding
   * SQE; `req_cb` would read a status the hardware never wrote for a job that never ran.
   */
  private failOutstanding(cause: GuestDeviceError): void {
    qmPollReqCb(this.qp, (sqSlot) => this.complete(sqSlot));
    const L = this.layout;
    const mem = this.memory;
    for (let i = 0; i < L.bufferSlots; i++) {
      const rec = L.slots + i * guest_job_slot.size;
      if (mem.readU32(rec) !== 1) continue;
      const err: GuestJobError = {
        jobId: mem.readU32(rec + 4),
        opcode: mem.readU32(rec + 8),
        errno: 'EIO',
        cause,
        failedAt: this.qm.clock.now(),
      };
      mem.writeU32(rec, 0);
      this.failed.push(err);
      if (this.qm.tracer?.enabled === true)
        this.qm.tracer.instant('guest', 'job failed', {
          jobId: err.jobId,
          errno: err.errno,
          cause: cause.kind,
        });
      for (const cb of this.errorListeners) cb(err);
    }
    this.qp.status.used = 0;
    this.persist();
  }

  private freeSlot(): number {
    const L = this.layout;
    for (let i = 0; i < L.bufferSlots; i++) {
      if (this.memory.readU32(L.slots + i * guest_job_slot.size) === 0) return i;
    }
    return -1;
  }

  private complete(sqSlot: number): void {
    const L = this.layout;
    const mem = this.memory;
    const sqeAddr = this.qp.sqeDma + sqSlot * QM_SQE_SIZE;
    const slot = mem.readU32(sqeAddr + qm_sqe.offsetOf('tag'));
    if (slot >= L.bufferSlots) return;
    const rec = L.slots + slot * guest_job_slot.size;
    if (mem.readU32(rec) !== 1) return;
    const status = mem.readU32(sqeAddr + qm_sqe.offsetOf('status'));
    const outLen = Math.min(mem.readU32(sqeAddr + qm_sqe.offsetOf('out_len')), L.bufferSize);
    const output =
      status === QM_SQE_STATUS_OK
        ? mem.readBytes(L.buffers + slot * L.bufferStride + L.bufferSize, outLen)
        : new Uint8Array(0);
    const result: GuestJobResult = {
      jobId: mem.readU32(rec + 4),
      opcode: mem.readU32(rec + 8),
      status,
      output,
      sqSlot,
      completedAt: this.qm.clock.now(),
    };
    mem.writeU32(rec, 0);
    this.completed.push(result);
    if (this.qm.tracer?.enabled === true)
      this.qm.tracer.instant('guest', 'complete', { jobId: result.jobId, status });
    for (const cb of this.listeners) cb(result);
  }

  /** Write the control block (every mutable value of the driver) to guest memory. */
  private persist(): void {
    const qm = this.qm;
    const s = this.qp.status;
    const st: GuestVfDriverState = {
      magic: GUEST_VF_DRIVER_MAGIC,
      version: GUEST_VF_DRIVER_STATE_VERSION,
      ver: qm.ver,
      qp_base: qm.qpBase,
      qp_num: qm.qpNum,
      use_db_isolation: qm.useDbIsolation ? 1 : 0,
      buffer_slots: this.layout.bufferSlots,
      buffer_size: this.layout.bufferSize,
      eq_head: qm.status.eqHead,
      aeq_head: qm.status.aeqHead,
      eqc_phase: qm.status.eqcPhase ? 1 : 0,
      aeqc_phase: qm.status.aeqcPhase ? 1 : 0,
      qm_flags: QM_FLAGS.indexOf(qm.status.flags),
      qp_id: this.qp.qpId,
      sq_tail: s.sqTail,
      cq_head: s.cqHead,
      cqc_phase: s.cqcPhase ? 1 : 0,
      used: s.used,
      qp_flags: QP_FLAGS.indexOf(s.flags),
      next_job_id: this.nextJobId,
      mb_qos: this.mbQos,
      device_id: qm.deviceId ?? 0,
    };
    this.memory.write(this.layout.ctrl, guest_vf_driver_state.encode(st));
  }
}
