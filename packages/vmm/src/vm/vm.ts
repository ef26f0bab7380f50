import { GuestMemory, KernelError, Process, Tracer, UserMemory, type VirtualClock } from '@vfio-sim/platform';
import type { IommufdBackend } from '../devices/iommufd-backend.js';
import type { VfioPciDevice } from '../devices/vfio-pci-device.js';
import type { Host } from '../host/host.js';
import { CpuDirtyLog } from './cpu-dirty-log.js';

/** An interrupt a device raised: the device's line in the VM (its index) and the MSI vector. */
export interface PendingIrq {
  readonly line: number;
  readonly vector: number;
}

/**
 * What travels with the vCPUs in a migration: here only the interrupts devices raised while the vCPUs
 * were stopped (in KVM they sit in the interrupt controller's state, which is migrated with the vCPUs).
 */
export interface VcpuState {
  /** Interrupts not yet delivered, oldest first. */
  readonly pendingIrqs: readonly PendingIrq[];
}

/** Options of {@link Vm.create}. */
export interface VmOptions {
  readonly name: string;
  /** The host the VM's QEMU runs on (its clock is the VM's). */
  readonly host: Host;
  /** Guest RAM size in bytes (sparse: only touched pages cost memory). */
  readonly memorySize: number;
  /**
   * The guest's track (default none): vCPU stop/start instants here, and the guest's drivers trace on
   * their own threads. A migrated VM passes it on to its destination VM.
   */
  readonly tracer?: Tracer;
  /**
   * IOMMU_OPTION_HUGE_PAGES of the VM's IOAS (default true: the kernel's default, which QEMU never
   * changes): guest RAM is mapped into the IOMMU with the largest leaves each IOMMU allows (2 MiB /
   * 1 GiB), and a DMA write dirties its whole leaf. false sets the option to 0 before RAM is mapped:
   * 4 KiB leaves, so DMA dirties are reported per page — for small guests whose pre-copy would resend
   * whole 2 MiB leaves (a 1 TiB guest cannot be mapped that way: 2^28 leaves). A migrated VM passes it
   * on to its destination VM.
   */
  readonly iommuHugePages?: boolean;
}

/**
 * One QEMU/KVM virtual machine on one host: its QEMU process (file descriptors, user memory), guest
 * RAM, vCPUs that run or are stopped, and one interrupt line per device. While the vCPUs are stopped
 * interrupts are queued, and they are delivered, in order, when the vCPUs start again — on this VM, or
 * on the destination VM that received the queue with {@link saveVcpu} / {@link loadVcpu}.
 *
 * Guest RAM carries a {@link CpuDirtyLog} (KVM's dirty log of vCPU writes), idle until a migration
 * starts it. Devices are realized into it by the devices/ layer ({@link VfioPciDevice}); the guest
 * software is not modelled here: a guest driver installs its handler with {@link setInterruptHandler}
 * (the guest kernel's `request_irq`).
 *
 * Kernel/VMM counterpart: a QEMU process with its KVM VM — `vm_stop()` / `vm_start()`, the vCPU +
 * irqchip state, `qemu_system_shutdown`.
 */
export class Vm {
  private running: boolean;
  private readonly pending: PendingIrq[] = [];
  private readonly handlers: (((vector: number) => void) | undefined)[] = [];
  private readonly attached: VfioPciDevice[] = [];
  private quitted = false;
  readonly name: string;
  readonly host: Host;
  /** Guest RAM (sparse: only touched pages cost memory; given back when the VM quits). */
  readonly memory: GuestMemory;
  readonly clock: VirtualClock;
  /** The VM's QEMU process on {@link host}. */
  readonly process: Process;
  /** The dirty log of the vCPUs' writes into {@link memory}. */
  readonly dirtyLog: CpuDirtyLog;
  /** The guest's tracer (disabled unless {@link VmOptions.tracer} was given). */
  readonly tracer: Tracer;
  /** The VM's `/dev/iommu` with its IOAS, once a DMA-capable device was realized. */
  iommufd: IommufdBackend | undefined = undefined;
  /** The user address of guest RAM in {@link process} (QEMU's RAM block, mapped at start). */
  readonly ramVa: number;
  /** Whether the VM's IOAS maps guest RAM with huge leaves ({@link VmOptions.iommuHugePages}). */
  readonly iommuHugePages: boolean;

  private constructor(options: VmOptions, running: boolean) {
    this.name = options.name;
    this.host = options.host;
    this.memory = new GuestMemory(options.memorySize);
    this.clock = this.host.clock;
    this.running = running;
    this.process = new Process(new UserMemory(), `qemu-${this.name}@${this.host.name}`);
    this.ramVa = this.process.mm.mmap(this.memory);
    this.iommuHugePages = options.iommuHugePages ?? true;
    this.dirtyLog = new CpuDirtyLog(this.memory);
    this.tracer = options.tracer ?? Tracer.disabled(this.clock);
  }

  /** A VM booted on `options.host` with empty RAM, vCPUs running. */
  static create(options: VmOptions): Vm {
    return new Vm(options, true);
  }

  /**
   * The destination side of a migration (`qemu -incoming`): empty RAM of `memorySize` bytes, vCPUs
   * stopped until the migration completes and {@link start} is called.
   */
  static incoming(options: VmOptions): Vm {
    return new Vm(options, false);
  }

  /** Whether the vCPUs run. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Whether {@link quit} ended the VM's QEMU. */
  get hasQuit(): boolean {
    return this.quitted;
  }

  /** The devices realized in the VM, in line order. */
  get devices(): readonly VfioPciDevice[] {
    return this.attached.filter((d) => d.isRealized);
  }

  /** Interrupts raised while the vCPUs were stopped, not yet delivered. */
  get pendingIrqs(): readonly PendingIrq[] {
    return this.pending;
  }

  /**
   * Give `device` the next interrupt line (called by the device's realize). Returns the line.
   * @throws KernelError ESRCH if the VM has quit.
   */
  addDevice(device: VfioPciDevice): number {
    if (this.quitted) throw new KernelError('ESRCH', `${this.name}: the VM has quit`);
    this.attached.push(device);
    this.handlers.push(undefined);
    return this.attached.length - 1;
  }

  /**
   * Take back the line of `device`, which failed to realize. Only the last line can go (a realize is
   * synchronous, so the failing device is always the last one added); others stay, unrealized.
   */
  removeDevice(device: VfioPciDevice): void {
    if (this.attached[this.attached.length - 1] !== device) return;
    this.attached.pop();
    this.handlers.pop();
  }

  /** Install the guest's interrupt handler for the device on `line` (undefined uninstalls it). */
  setInterruptHandler(line: number, handler: ((vector: number) => void) | undefined): void {
    this.handlers[line] = handler;
  }

  /**
   * The device on `line` raises interrupt `vector`: delivered now if the vCPUs run and a handler is
   * installed, queued otherwise.
   */
  raiseIrq(line: number, vector: number): void {
    const handler = this.handlers[line];
    if (this.running && handler !== undefined) handler(vector);
    else this.pending.push({ line, vector });
  }

  /** Stop the vCPUs (`vm_stop`). Idempotent. */
  stop(): void {
    if (this.running && this.tracer.enabled) this.tracer.instant('vm', 'vm_stop');
    this.running = false;
  }

  /**
   * Start the vCPUs (`vm_start`) and deliver every queued interrupt whose line has a handler, oldest
   * first (the others stay queued).
   */
  start(): void {
    if (!this.running && this.tracer.enabled)
      this.tracer.instant('vm', 'vm_start', { pendingIrqs: this.pending.length });
    this.running = true;
    let i = 0;
    while (i < this.pending.length && this.running) {
      const irq = this.pending[i] as PendingIrq;
      const handler = this.handlers[irq.line];
      if (handler === undefined) {
        i++;
        continue;
      }
      this.pending.splice(i, 1);
      handler(irq.vector);
    }
  }

  /**
   * The vCPU state to send to the destination.
   * @throws KernelError EBUSY while the vCPUs run (their state is not stable).
   */
  saveVcpu(): VcpuState {
    if (this.running) throw new KernelError('EBUSY', `${this.name}: vCPU state saved while running`);
    return { pendingIrqs: [...this.pending] };
  }

  /**
   * Take the vCPU state received from the source (its queued interrupts come first).
   * @throws KernelError EBUSY while the vCPUs run.
   */
  loadVcpu(state: VcpuState): void {
    if (this.running) throw new KernelError('EBUSY', `${this.name}: vCPU state loaded while running`);
    this.pending.unshift(...state.pendingIrqs);
  }

  /**
   * QEMU exits: the vCPUs stop, every device is unrealized (its mappings dropped, its device fd closed,
   * so the host device is free again), `/dev/iommu` is closed, and every other fd of the process; guest
   * RAM is unmapped and its memory given back ({@link GuestMemory.release}: it reads as zeros
   * afterwards), as is the dirty log's. Idempotent. After a migration the source's QEMU quits this way.
   */
  quit(): void {
    if (this.quitted) return;
    this.stop();
    for (const dev of [...this.attached].reverse()) dev.unrealize();
    this.iommufd?.close();
    this.iommufd = undefined;
    for (const fd of this.process.openFds()) this.process.close(fd);
    this.process.mm.munmap(this.ramVa, this.memory.size);
    this.dirtyLog.release();
    this.memory.release();
    this.quitted = true;
  }
}
