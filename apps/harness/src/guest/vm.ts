import { GuestMemory, KernelError, Tracer, type VirtualClock } from '@vfio-sim/platform';
import { CpuDirtyLog } from '../dirty/cpu-dirty-log.js';

/**
 * What travels with the vCPUs in a migration: here only the interrupts a device raised while the vCPUs
 * were stopped (in KVM they sit in the interrupt controller's state, which is migrated with the vCPUs).
 */
export interface VcpuState {
  /** Interrupt vectors not yet delivered, oldest first. */
  readonly pendingIrqs: readonly number[];
}

/** Options of {@link Vm.create}. */
export interface VmOptions {
  readonly name: string;
  readonly clock: VirtualClock;
  /** Guest RAM size in bytes (sparse: only touched pages cost memory). */
  readonly memorySize: number;
  /**
   * The guest's track (default none): vCPU stop/start instants here, and the guest's VF driver traces
   * on its `vf driver` thread. A migrated VM passes it on to its destination VM.
   */
  readonly tracer?: Tracer;
}

/**
 * A virtual machine as the harness needs it: guest RAM, vCPUs that run or are stopped, and the
 * interrupt line devices raise into it. While the vCPUs are stopped interrupts are queued, and they
 * are delivered, in order, when the vCPUs start again — on this VM, or on the destination VM that
 * received the queue with {@link saveVcpu} / {@link loadVcpu}.
 *
 * Guest RAM carries a {@link CpuDirtyLog} (KVM's dirty log of vCPU writes), idle until a migration
 * starts it.
 *
 * The guest software is not modelled here: whoever runs a driver in the guest installs its handler
 * with {@link setInterruptHandler} (the guest kernel's `request_irq`).
 *
 * Kernel/VMM counterpart: a QEMU/KVM guest — `vm_stop()` / `vm_start()` and the vCPU + irqchip state.
 */
export class Vm {
  private running: boolean;
  private readonly pending: number[] = [];
  private handler: ((vector: number) => void) | undefined;
  /** The dirty log of the vCPUs' writes into {@link memory}. */
  readonly dirtyLog: CpuDirtyLog;
  /** The guest's tracer (disabled unless {@link VmOptions.tracer} was given). */
  readonly tracer: Tracer;

  private constructor(
    readonly name: string,
    readonly clock: VirtualClock,
    readonly memory: GuestMemory,
    running: boolean,
    tracer: Tracer | undefined,
  ) {
    this.running = running;
    this.dirtyLog = new CpuDirtyLog(memory);
    this.tracer = tracer ?? Tracer.disabled(clock);
  }

  /** A VM booted with empty RAM, vCPUs running. */
  static create(options: VmOptions): Vm {
    return new Vm(options.name, options.clock, new GuestMemory(options.memorySize), true, options.tracer);
  }

  /**
   * The destination side of a migration (`qemu -incoming`): empty RAM of `memorySize` bytes, vCPUs
   * stopped until the migration completes and {@link start} is called.
   */
  static incoming(options: VmOptions): Vm {
    return new Vm(options.name, options.clock, new GuestMemory(options.memorySize), false, options.tracer);
  }

  /** Whether the vCPUs run. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Interrupts raised while the vCPUs were stopped, not yet delivered. */
  get pendingIrqs(): readonly number[] {
    return this.pending;
  }

  /** Install the guest's interrupt handler (one handler for every vector of the VM's one device). */
  setInterruptHandler(handler: ((vector: number) => void) | undefined): void {
    this.handler = handler;
  }

  /**
   * A device raises interrupt `vector`: delivered now if the vCPUs run and a handler is installed,
   * queued otherwise.
   */
  raiseIrq(vector: number): void {
    if (this.running && this.handler !== undefined) this.handler(vector);
    else this.pending.push(vector);
  }

  /** Stop the vCPUs (`vm_stop`). Idempotent. */
  stop(): void {
    if (this.running && this.tracer.enabled) this.tracer.instant('vm', 'vm_stop');
    this.running = false;
  }

  /** Start the vCPUs (`vm_start`) and deliver every queued interrupt, oldest first. */
  start(): void {
    if (!this.running && this.tracer.enabled)
      this.tracer.instant('vm', 'vm_start', { pendingIrqs: this.pending.length });
    this.running = true;
    while (this.pending.length > 0 && this.handler !== undefined && this.running) {
      this.handler(this.pending.shift() as number);
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
}
