import {
  type DmaPort,
  type GuestMemory,
  KernelError,
  type MmioRegion,
  type Tracer,
  type VirtualClock,
} from '@vfio-sim/platform';
import { QM_PF_SET_QOS, QM_VF_GET_QOS } from '../regs/mailbox.js';
import { QM_NOT_READY, QM_QUE_ISO_CFG_V } from '../regs/registers.js';
import { QM_SQE_SIZE, QM_SQE_STATUS_OK, qm_sqe } from '../regs/sqe.js';
import {
  QM_AEQ_EVENT_IRQ_VECTOR,
  QM_CMD_EVENT_IRQ_VECTOR,
  QM_EQ_EVENT_IRQ_VECTOR,
  QM_HW_V3,
  type QmHwVer,
} from '../regs/versions.js';
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
  qmCmdInit,
  qmCmdProcess,
  qmMbCmdIrq,
  qmPingPf,
} from './ifc.js';
import { qmUseMemoryLayout } from './qm-memory.js';
import { hisiQmSetState, hisiQmStart, hisiQmStop } from './qm-start-stop.js';
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
 * Kernel counterpart: a VF probed by hisi_zip (`hisi_zip_probe` → `hisi_qm_init` → `hisi_qm_start`,
 * `hisi_qm_create_qp`/`hisi_qm_start_qp`, `hisi_qp_send`, `qm_irq` / `qm_aeq_irq` / `qm_mb_cmd_irq`).
 */
export class GuestVfDriver {
  /** Finished jobs in completion order (observation, not driver state: not carried by {@link resume}). */
  readonly completed: GuestJobResult[] = [];
  /** AEQ events seen (CQ overflow, EQ overflow, CQE error). */
  readonly aeqEvents: QmAeqEvent[] = [];
  /** IFC messages received from the PF. */
  readonly ifcReceived: QmIfcMessage[] = [];
  private readonly listeners: ((r: GuestJobResult) => void)[] = [];
  private readonly sqeBuf = new Uint8Array(QM_SQE_SIZE);
  private cmdWorkPending = false;

  private constructor(
    readonly qm: HisiQm,
    readonly qp: HisiQp,
    readonly layout: GuestVfLayout,
    private readonly memory: GuestMemory,
    private nextJobId: number,
    private mbQos: number,
  ) {}

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
   * The VF's interrupt handler: vector 0 (EQ) completes jobs, vector 1 (AEQ) records events, vector 2
   * (IFC) schedules the message work. Wire it with `vf.setInterruptHandler(v => drv.handleInterrupt(v))`.
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
      // A work item sleeping on the mailbox mutex: try again later while a command is in progress.
      if (this.qm.mailboxLock.locked) {
        this.qm.clock.after(10, work);
        return;
      }
      this.cmdWorkPending = false;
      qmCmdProcess(this.qm, (msg) => {
        this.ifcReceived.push(msg);
        if (msg.cmd === QM_PF_SET_QOS) this.mbQos = msg.data;
      });
      this.persist();
    };
    this.qm.clock.after(0, work);
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
