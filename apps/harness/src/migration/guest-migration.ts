import { KernelError, PAGE_SIZE, type Tracer } from '@vfio-sim/platform';
import type { GuestVfDriver } from '@vfio-sim/qm-hw';
import { DirtySync } from '../dirty/dirty-sync.js';
import { attachVf, resumeGuestVfDriver, type VfPassthrough } from '../guest/vf-passthrough.js';
import { Vm } from '../guest/vm.js';
import { compareGuestMemory, type GuestMemoryComparison } from './guest-memory-compare.js';
import { copyGuestMemory, type GuestMemoryCopy } from './guest-memory-copy.js';
import type { MigrationLink } from './link.js';
import type { LiveMigrationOptions } from './live-migration-options.js';
import type { RamMigrationReport } from './migration-report.js';
import { RamPrecopy, ramPrecopyLimits } from './ram-precopy.js';

/** What moved with the vCPUs stopped: guest RAM, the vCPU state, and the RAM comparison. */
export interface StoppedGuestCopy {
  /** Guest RAM sent while the VM was stopped. */
  readonly guestMemory: GuestMemoryCopy;
  /** Interrupts raised while the vCPUs were stopped, delivered on the destination. */
  readonly pendingIrqsMoved: number;
  /** Source RAM (source stopped) against destination RAM (not yet started). */
  readonly check: GuestMemoryComparison;
}

/**
 * The guest side of a live migration, the same whichever device protocol moves the VF: the incoming
 * VM on the destination with the destination's VF 0 attached, guest RAM (iterative pre-copy under
 * dirty tracking, or every touched page while stopped), the vCPU state, the page-by-page comparison,
 * and the switch-over (the guest driver rebuilt from the copied RAM, the destination vCPUs started).
 * The device's protocol steps stay with the caller.
 *
 * VMM counterpart: QEMU's `-incoming` VM, migration/ram.c (`ram_save_*`, `ram_load`), the CPU
 * vmstate, and `vm_start` on the destination.
 */
export class GuestMigration {
  /** The destination VF, attached to the incoming VM (its `vm`). */
  readonly destination: VfPassthrough;
  private precopyRam: RamPrecopy | undefined;

  /**
   * Create the incoming VM on `options.destination` (same name, clock and RAM size as the source VM)
   * and attach the destination's VF 0 to it.
   * @throws KernelError from {@link attachVf}.
   */
  constructor(
    private readonly options: LiveMigrationOptions,
    private readonly link: MigrationLink,
  ) {
    const vm = options.source.vm;
    const dstVm = Vm.incoming({
      name: vm.name,
      clock: vm.clock,
      memorySize: vm.memory.size,
      tracer: vm.tracer,
    });
    this.destination = attachVf(dstVm, options.destination);
  }

  /**
   * QEMU refuses a live migration with RAM pre-copy when nothing tracks the VF's DMA (neither IOMMU
   * nor device logging): the "None" mode would mark all mapped RAM dirty on every sync.
   * @throws KernelError EOPNOTSUPP when the source IOMMU cannot track dirty pages and the IOMMU is a
   *   dirty source.
   */
  static checkDirtyTracking(options: LiveMigrationOptions): void {
    const { source } = options;
    if (!source.dma.dirtyTracking && (options.dirtySources?.iommu ?? true))
      throw new KernelError(
        'EOPNOTSUPP',
        `${source.host.name}: the VF's IOMMU cannot track dirty pages; RAM pre-copy is blocked`,
      );
  }

  /** The RAM pre-copy, once {@link startRamPrecopy} started it. */
  get ram(): RamPrecopy | undefined {
    return this.precopyRam;
  }

  /**
   * RAM's save_setup: dirty tracking starts (the CPU log and the source IOMMU's dirty bits, cleared)
   * and every touched page is pending. `tracer` gets the rounds.
   * @throws KernelError from the dirty-tracking ioctls.
   */
  startRamPrecopy(tracer: Tracer): void {
    const { source, dirtySources } = this.options;
    const dirty = new DirtySync({
      vm: source.vm,
      iommu: source.host.iommu,
      dma: source.dma,
      ...(dirtySources !== undefined ? { sources: dirtySources } : {}),
    });
    this.precopyRam = new RamPrecopy(
      source.vm,
      this.destination.vm,
      this.link,
      dirty,
      this.options.ram,
      tracer,
    );
    this.precopyRam.setup();
  }

  /**
   * With the source VM stopped: the final dirty sync and the remaining dirty pages (without pre-copy
   * every touched page, sent as one transfer), the vCPU state (queued interrupts); then source and
   * destination RAM compared page by page.
   */
  copyStopped(): StoppedGuestCopy {
    const vm = this.options.source.vm;
    const dstVm = this.destination.vm;
    let guestMemory: GuestMemoryCopy;
    if (this.precopyRam !== undefined) {
      const pages = this.precopyRam.complete();
      guestMemory = { pages, bytes: pages * PAGE_SIZE };
    } else {
      guestMemory = copyGuestMemory(vm.memory, dstVm.memory);
      this.link.send(guestMemory.bytes);
    }
    const vcpu = vm.saveVcpu();
    dstVm.loadVcpu(vcpu);
    const check = compareGuestMemory(vm.memory, dstVm.memory);
    return { guestMemory, pendingIrqsMoved: vcpu.pendingIrqs.length, check };
  }

  /**
   * The switch-over: the guest driver is rebuilt from the copied RAM (and handed to
   * `onGuestResumed`), `deviceVmStart` runs the device protocol's vm_start, then the destination
   * vCPUs start.
   * @throws KernelError from `deviceVmStart` (the destination vCPUs do not start).
   */
  resume(deviceVmStart: () => void): GuestVfDriver {
    const driver = resumeGuestVfDriver(this.destination);
    this.options.onGuestResumed?.(driver);
    deviceVmStart();
    this.destination.vm.start();
    return driver;
  }

  /** How guest RAM moved, for the report. */
  ramReport(stopped: StoppedGuestCopy): RamMigrationReport {
    const ram = this.precopyRam;
    return {
      mode: ram !== undefined ? 'precopy' : 'stop-and-copy',
      iommuFormat: this.options.source.host.iommu.format,
      ...ramPrecopyLimits(this.options.ram),
      rounds: ram?.rounds ?? [],
      converged: ram?.converged ?? false,
      precopyBytes: ram?.precopyBytes ?? 0,
      stoppedBytes: stopped.guestMemory.bytes,
      check: stopped.check,
    };
  }

  /** On a failed migration: the RAM pre-copy stops dirty tracking (nothing if it never started). */
  abort(): void {
    this.precopyRam?.abort();
  }
}
