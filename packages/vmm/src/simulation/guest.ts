import { type GuestUart, MttyLoopbackWorkload, type MttyPortTally } from '@vfio-sim/mtty';
import { KernelError, PAGE_SIZE, Prng, type Tracer } from '@vfio-sim/platform';
import type { GuestDeviceError, GuestVfDriver, PfResetRecord } from '@vfio-sim/qm-hw';
import { GUEST_VF_DRIVER_RAM, HISI_ACC_VF_MODEL } from '../devices/hisi-acc-vf.js';
import { MTTY_MODEL } from '../devices/mtty.js';
import { realizeVfioPci, type VfioPciDevice } from '../devices/vfio-pci-device.js';
import type { Host } from '../host/host.js';
import { Vm, type VmOptions } from '../vm/vm.js';
import { accelJobs } from '../workload/accel-workload.js';
import {
  type JobLossCause,
  UPSTREAM_HOST_RESET,
  UPSTREAM_VCPUS_AFTER_DEVICES,
} from '../workload/job-loss.js';
import { type JobStream, startJobStream } from '../workload/job-stream.js';
import { startUartStream } from '../workload/uart-stream.js';
import { type Side, Workload, type WorkloadTally } from '../workload/workload.js';
import { assignGuestBars } from './guest-firmware.js';

/** Options of {@link Guest.create}. */
export interface GuestOptions {
  /** The guest's name (default `guest`). */
  readonly name?: string;
  /** Where it boots. */
  readonly host: Host;
  /** Guest RAM in bytes (default 64 MiB; sparse: only touched pages cost memory). */
  readonly memory?: number;
  /**
   * The devices passed through, by model, each the host's first free device of that model (default
   * one accelerator VF: `['hisi-acc-vf']`).
   */
  readonly devices?: readonly string[];
  /**
   * Huge IOMMU leaves for guest RAM (default true, as QEMU with iommufd); false maps 4 KiB leaves
   * ({@link VmOptions.iommuHugePages}). It follows the guest across migrations.
   */
  readonly iommuHugePages?: boolean;
}

/** A queue or device error one of the guest's drivers reported (qm-hw's `GuestDeviceError`). */
export interface GuestDeviceErrorRecord {
  /** The guest's device index. */
  readonly device: number;
  readonly side: Side;
  readonly error: GuestDeviceError;
}

/** Options of {@link Guest.startWorkload}. */
export interface WorkloadOptions {
  /** Jobs each accelerator VF's driver submits at once (default 16); loop-back steps on each mtty. */
  readonly jobs?: number;
  /** Then one more job (or step) every this many µs while the vCPUs run (default 20; 0 for none). */
  readonly periodUs?: number;
  /** Jobs (steps) the stream submits at most per device (default 64). */
  readonly limit?: number;
  /** The jobs' seed (default: drawn from the guest's generator). */
  readonly seed?: number;
}

/** One accelerator VF's workload: the jobs and their exactly-once accounting, and its job stream. */
interface DeviceWorkload {
  readonly device: number;
  readonly workload: Workload;
  stream: JobStream | undefined;
}

/** One mtty's loop-back workload over its ports. */
interface UartWorkload {
  readonly device: number;
  readonly workload: MttyLoopbackWorkload;
  steps: { readonly steps: number } | undefined;
}

/** One mtty port's traffic, as {@link Guest.uartTally} reports it. */
export interface UartPortTally extends MttyPortTally {
  /** The guest device index of the mtty. */
  readonly device: number;
  readonly port: number;
}

/**
 * A guest as its owner sees it, across hosts: booted on one host with its devices and their guest
 * drivers probed, running workloads whose every job is accounted for, and — after a migration — the
 * same guest on the destination VM. `vm` is the QEMU/KVM instance it runs in now.
 *
 * VMM counterpart: a libvirt domain (what `virsh migrate` moves), with the guest OS and its
 * applications inside.
 */
export class Guest {
  private current: Vm;
  private moved = false;
  /** Jobs submitted by streams that were replaced by a newer one. */
  private streamedBefore = 0;
  private readonly works: DeviceWorkload[] = [];
  private readonly uarts: UartWorkload[] = [];
  private readonly watchedHosts = new Set<Host>();

  private constructor(
    vm: Vm,
    private readonly prng: Prng,
  ) {
    this.current = vm;
    this.watchHostResets(vm.host);
  }

  /**
   * Boot a guest on `options.host`: the VM, its devices realized (each the host's first free device of
   * the model named), each device's guest driver probed. `prng` gives the workloads' seeds; `tracer`
   * (default none) is the guest's track.
   * @throws KernelError ENODEV if the host has no free device of a model; EINVAL for a bad memory size;
   *   from a realize or a probe (the VM quits again: nothing stays claimed).
   */
  static create(options: GuestOptions, prng: Prng, tracer?: Tracer): Guest {
    const memory = options.memory ?? 64 << 20;
    if (!Number.isInteger(memory) || memory <= 0 || memory % 4096 !== 0)
      throw new KernelError('EINVAL', `guest memory ${memory} is not a positive multiple of 4 KiB`);
    const { host } = options;
    const vm = Vm.create({
      name: options.name ?? 'guest',
      host,
      memorySize: memory,
      ...(tracer !== undefined ? { tracer } : {}),
      ...(options.iommuHugePages !== undefined ? { iommuHugePages: options.iommuHugePages } : {}),
    });
    try {
      const devices = (options.devices ?? [HISI_ACC_VF_MODEL]).map((model) => {
        const free = host.freeDevice(model);
        if (free === undefined) throw new KernelError('ENODEV', `${host.name}: no free ${model} device`);
        return realizeVfioPci(vm, free);
      });
      // the guest's firmware assigns the BARs; each driver enables its device and its interrupts
      assignGuestBars(devices);
      for (const dev of devices) {
        dev.config.enable(dev.host.model.interrupts);
        dev.host.model.probeGuest(dev);
      }
    } catch (e) {
      vm.quit();
      throw e;
    }
    return new Guest(vm, prng);
  }

  /** The guest's name (its VMs' name on every host). */
  get name(): string {
    return this.current.name;
  }

  /** The VM the guest runs in now. */
  get vm(): Vm {
    return this.current;
  }

  /** The host it runs on now. */
  get host(): Host {
    return this.current.host;
  }

  /** Its devices, in the VM's order. */
  get devices(): readonly VfioPciDevice[] {
    return this.current.devices;
  }

  /** The accelerator VF drivers of the guest, by device index (undefined for other devices). */
  accelDriver(device: number): GuestVfDriver | undefined {
    const dev = this.current.devices[device];
    return dev?.model === HISI_ACC_VF_MODEL ? (dev.guest as GuestVfDriver) : undefined;
  }

  /**
   * Start a workload on every accelerator VF of the guest: `jobs` submitted at once, then (unless
   * `periodUs` is 0) a job stream ({@link startJobStream}). Every completion is recorded; {@link tally}
   * checks each job completed exactly once with the output computed directly (node:zlib, node:crypto,
   * bigint) on the same inputs.
   * @throws KernelError EINVAL for bad counts or a workload already started (nothing started); EBUSY
   *   from a submit when the driver's job buffers are all in use (jobs submitted so far stay recorded).
   */
  startWorkload(options: WorkloadOptions = {}): void {
    const jobs = options.jobs ?? 16;
    const periodUs = options.periodUs ?? 20;
    const limit = options.limit ?? 64;
    if (!Number.isInteger(jobs) || jobs < 0) throw new KernelError('EINVAL', `job count ${jobs}`);
    checkStream(periodUs, limit);
    if (this.works.length > 0 || this.uarts.length > 0)
      throw new KernelError('EINVAL', `${this.name}: the workload already runs`);
    const seed = options.seed ?? this.prng.nextU32();
    this.current.devices.forEach((dev, device) => {
      if (dev.model === MTTY_MODEL) {
        const workload = new MttyLoopbackWorkload(dev.guest as GuestUart[], (seed + device) >>> 0);
        workload.run(jobs);
        this.uarts.push({ device, workload, steps: undefined });
        return;
      }
      const driver = this.accelDriver(device);
      if (driver === undefined) return;
      const workload = new Workload((seed + device) >>> 0, accelJobs(dev.vm.host.kind));
      workload.watch(driver, 'source');
      this.works.push({ device, workload, stream: undefined });
      workload.submit(driver, 'source', jobs);
    });
    if (periodUs > 0 && limit > 0) this.startJobStream({ periodUs, limit });
  }

  /**
   * A guest application that keeps every accelerator VF busy: one more job every `periodUs` while the
   * vCPUs run, `limit` at most per device; it ends for good when the vCPUs stop ({@link startJobStream}).
   * @throws KernelError EINVAL for a period below 1 µs, a negative limit, or no workload started.
   */
  startJobStream(options: { readonly periodUs: number; readonly limit: number }): void {
    const { periodUs, limit } = options;
    checkStream(periodUs, limit);
    if (periodUs < 1) throw new KernelError('EINVAL', `job stream period ${periodUs} µs`);
    if (this.works.length === 0 && this.uarts.length === 0)
      throw new KernelError('EINVAL', `${this.name}: no workload started`);
    for (const u of this.uarts)
      u.steps = startUartStream({ vm: this.current, workload: u.workload, periodUs, limit });
    for (const work of this.works) {
      const driver = this.accelDriver(work.device);
      if (driver === undefined) continue;
      this.streamedBefore += work.stream?.submitted ?? 0;
      const side: Side = this.moved ? 'destination' : 'source';
      work.stream = startJobStream({
        vm: this.current,
        driver,
        workload: work.workload,
        side,
        periodUs,
        limit,
      });
    }
  }

  /**
   * Submit `count` more jobs on every accelerator VF, on the side the guest runs now (`destination`
   * once it migrated).
   * @throws KernelError EINVAL for a bad count or no workload started; EBUSY when a driver's job
   *   buffers are all in use.
   */
  submit(count: number): void {
    if (this.works.length === 0) throw new KernelError('EINVAL', `${this.name}: no workload started`);
    const side: Side = this.moved ? 'destination' : 'source';
    for (const w of this.works) {
      const driver = this.accelDriver(w.device);
      if (driver !== undefined) w.workload.submit(driver, side, count);
    }
  }

  /** Jobs submitted and not completed yet, every workload together. */
  get outstanding(): number {
    return this.works.reduce((n, w) => n + w.workload.outstanding, 0);
  }

  /** Completions recorded so far, every workload together. */
  get completed(): number {
    return this.works.reduce((n, w) => n + w.workload.completed, 0);
  }

  /** Jobs the streams submitted so far (every stream started, on either side). */
  get streamed(): number {
    return this.streamedBefore + this.works.reduce((n, w) => n + (w.stream?.submitted ?? 0), 0);
  }

  /**
   * Follow `host`'s controller resets: one that ends while the guest runs there, on a VF whose driver
   * did not report a device reset since it began, lost that device's jobs
   * ({@link Workload.deviceLost}, `device-reset-by-host`).
   */
  private watchHostResets(host: Host): void {
    const pf = host.pfDriver;
    if (pf === undefined || this.watchedHosts.has(host)) return;
    this.watchedHosts.add(host);
    pf.onControllerReset((record) => {
      if (this.current.host !== host) return;
      for (const w of this.works) {
        const told = w.workload.deviceErrors.some(
          (e) => e.error.kind === 'device-reset' && e.error.at >= record.startedAt,
        );
        if (!told) w.workload.deviceLost(hostResetCause(record, 'while the guest ran there'));
      }
    });
  }

  /** Queue and device errors the guest's drivers reported so far, with the device index and side. */
  get deviceErrors(): readonly GuestDeviceErrorRecord[] {
    return this.works.flatMap((w) => w.workload.deviceErrors.map((e) => ({ device: w.device, ...e })));
  }

  /** The workloads (one per accelerator VF). */
  get workloads(): readonly Workload[] {
    return this.works.map((w) => w.workload);
  }

  /**
   * The guest application reads every mtty port until it is empty (what it wrote and has not read
   * back yet): call once the guest settled, before {@link uartTally}.
   */
  drainUarts(): void {
    for (const u of this.uarts) u.workload.drain();
  }

  /**
   * Every mtty port's traffic: bytes sent, read back, still in flight, and where the read-back stream
   * first differs from what was sent (−1: nowhere). After {@link drainUarts}, a port with bytes in
   * flight or a mismatch lost, duplicated or corrupted a byte.
   */
  uartTally(): UartPortTally[] {
    return this.uarts.flatMap((u) =>
      u.workload.verify().map((t, port) => ({ device: u.device, port, ...t })),
    );
  }

  /**
   * Where the guest's applications' RAM begins: above what the guest kernel gives its device drivers
   * (1 MiB, then {@link GUEST_VF_DRIVER_RAM} per device line).
   */
  get appRamBase(): number {
    return (1 << 20) + this.current.devices.length * GUEST_VF_DRIVER_RAM;
  }

  /** Pages of RAM the guest's applications have above {@link appRamBase}. */
  get appRamPages(): number {
    return Math.max(0, Math.floor((this.current.memory.size - this.appRamBase) / PAGE_SIZE));
  }

  /**
   * The guest's applications write `pages` whole pages of their RAM (from {@link appRamBase} up) with
   * bytes drawn from `seed`: CPU stores, which KVM's dirty log sees while a migration tracks them. No
   * driver's rings or buffers are touched.
   *
   * Kernel counterpart: user space in the guest dirtying its memory.
   * @throws KernelError EINVAL for a count that is not a non-negative integer or exceeds
   *   {@link appRamPages} (nothing written).
   */
  writeRam(pages: number, seed: number): void {
    if (!Number.isInteger(pages) || pages < 0 || pages > this.appRamPages)
      throw new KernelError(
        'EINVAL',
        `${this.name}: ${pages} pages to write, ${this.appRamPages} above the drivers' RAM`,
      );
    const prng = new Prng(seed >>> 0);
    const page = new Uint8Array(PAGE_SIZE);
    const base = this.appRamBase;
    for (let i = 0; i < pages; i++) this.current.memory.write(base + i * PAGE_SIZE, prng.fill(page));
  }

  /**
   * The accelerator VF `device` lost its queues under the guest's driver (`cause`): its workload
   * attributes every job outstanding there now, and every later one, to it ({@link Workload.deviceLost}).
   */
  deviceLost(device: number, cause: JobLossCause): void {
    for (const w of this.works) if (w.device === device) w.workload.deviceLost(cause);
  }

  /** The exactly-once verdict over every job of every workload ({@link mergeTallies}). */
  tally(): WorkloadTally {
    return mergeTallies(this.works.map((w) => ({ device: w.device, tally: w.workload.tally() })));
  }

  /**
   * The guest now runs in `vm` (a migration's destination): its workloads watch the resumed drivers as
   * the destination side.
   *
   * `startedAt[i]` is when device `i` began its start there (its variant driver writing the loaded
   * state into the hardware), with the vCPUs stopped until every device has started. A controller reset
   * of that host's PF which ended after it wiped the restored queues — the reset covers every VF of
   * the accelerator, not only the one whose error caused it — and no guest driver could take its
   * QM_PF_SRST_PREPARE: the device's jobs are lost with it (`device-reset-by-host`). A reset ending
   * later is judged as it ends, like any reset on the host the guest runs on.
   */
  movedTo(vm: Vm, startedAt: readonly (number | undefined)[] = []): void {
    this.current = vm;
    this.moved = true;
    this.watchHostResets(vm.host);
    const resets = vm.host.pfDriver?.resets ?? [];
    for (const w of this.works) {
      const driver = this.accelDriver(w.device);
      if (driver !== undefined) w.workload.watch(driver, 'destination');
      const at = startedAt[w.device];
      const wiped = at === undefined ? undefined : resets.find((r) => r.endedAt > at);
      if (wiped !== undefined)
        w.workload.deviceLost(
          hostResetCause(
            wiped,
            `after ${vm.host.name} began to start the VF, before the vCPUs started there`,
            `${UPSTREAM_HOST_RESET}; ${UPSTREAM_VCPUS_AFTER_DEVICES}`,
          ),
        );
    }
  }
}

/**
 * Several workloads' tallies as one: counts added; with more than one device a job id is offset by its
 * device index × 1,000,000 (plain ids for one device).
 */
export function mergeTallies(parts: readonly { device: number; tally: WorkloadTally }[]): WorkloadTally {
  const one = parts.length === 1;
  const ids = (device: number, xs: readonly number[]): number[] =>
    one ? [...xs] : xs.map((x) => device * 1_000_000 + x);
  const sum = (f: (t: WorkloadTally) => number) => parts.reduce((n, p) => n + f(p.tally), 0);
  return {
    submitted: sum((t) => t.submitted),
    submittedOnSource: sum((t) => t.submittedOnSource),
    submittedOnDestination: sum((t) => t.submittedOnDestination),
    completedOnSource: sum((t) => t.completedOnSource),
    completedOnDestination: sum((t) => t.completedOnDestination),
    verified: sum((t) => t.verified),
    lost: parts.flatMap((p) => ids(p.device, p.tally.lost)),
    losses: parts.flatMap((p) =>
      p.tally.losses.map((l) => (one ? l : { ...l, jobId: p.device * 1_000_000 + l.jobId })),
    ),
    unattributed: parts.flatMap((p) => ids(p.device, p.tally.unattributed)),
    duplicated: parts.flatMap((p) => ids(p.device, p.tally.duplicated)),
    corrupt: parts.flatMap((p) => ids(p.device, p.tally.corrupt)),
    unknown: parts.flatMap((p) => ids(p.device, p.tally.unknown)),
  };
}

/**
 * The cause of the jobs lost when the host's PF driver reset the controller (`when`, in words) under a
 * guest driver that was never told (it reported no device reset since the reset began, or its vCPUs
 * had not started yet).
 */
function hostResetCause(record: PfResetRecord, when: string, upstream = UPSTREAM_HOST_RESET): JobLossCause {
  return {
    kind: 'device-reset-by-host',
    detail: `the PF driver's controller reset (${record.startedAt}–${record.endedAt} µs, ${when}) wiped the VF's queues; the guest's driver never took QM_PF_SRST_PREPARE`,
    errno: null,
    atUs: record.endedAt,
    upstream,
  };
}

function checkStream(periodUs: number, limit: number): void {
  if (!(Number.isInteger(periodUs) && periodUs >= 0) || !(Number.isInteger(limit) && limit >= 0))
    throw new KernelError('EINVAL', `job stream period ${periodUs} µs, limit ${limit}`);
}
