import { KernelError, PAGE_SIZE, type Tracer } from '@vfio-sim/platform';
import { realizeVfioPci, type VfioPciDevice } from '../devices/vfio-pci-device.js';
import type { MigrationLink } from '../link/link.js';
import type { RamMigrationReport } from '../report/migration-report.js';
import { Vm } from '../vm/vm.js';
import type { LiveMigrationOptions } from './live-migration-options.js';
import { DirtySync } from './ram/dirty-sync.js';
import { compareGuestMemory, type GuestMemoryComparison } from './ram/guest-memory-compare.js';
import { copyGuestMemory, type GuestMemoryCopy } from './ram/guest-memory-copy.js';
import { RamPrecopy, ramPrecopyLimits } from './ram/ram-precopy.js';

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
 * The guest side of a live migration, the same whichever device protocol moves the devices: the
 * incoming VM on the destination with a device of the same model realized for each source device,
 * guest RAM (iterative pre-copy under dirty tracking, or every touched page while stopped), the vCPU
 * state, the page-by-page comparison, and the switch-over (the guest's drivers resumed from the copied
 * RAM, the destination vCPUs started). The devices' protocol steps stay with the caller.
 *
 * VMM counterpart: QEMU's `-incoming` VM, migration/ram.c (`ram_save_*`, `ram_load`), the CPU
 * vmstate, and `vm_start` on the destination.
 */
export class GuestMigration {
  /** The incoming VM on the destination host, its devices realized. */
  readonly destination: Vm;
  private precopyRam: RamPrecopy | undefined;

  /**
   * Start the incoming VM on `options.destination` (same name, RAM size, tracer and IOMMU huge-page
   * option as the source VM: the destination QEMU gets the same command line)
   * and realize, for each source device in order, the destination's first free device of its model.
   * @throws KernelError ENODEV if the destination has no free device of a model; from a realize (the
   *   incoming VM quits again, releasing what it claimed).
   */
  constructor(
    private readonly options: LiveMigrationOptions,
    private readonly link: MigrationLink,
  ) {
    const vm = options.source;
    const host = options.destination;
    const dstVm = Vm.incoming({
      name: vm.name,
      host,
      memorySize: vm.memory.size,
      tracer: vm.tracer,
      iommuHugePages: vm.iommuHugePages,
    });
    try {
      for (const dev of vm.devices) {
        const free = host.freeDevice(dev.model);
        if (free === undefined)
          throw new KernelError('ENODEV', `${host.name}: no free ${dev.model} device for ${vm.name}`);
        realizeVfioPci(dstVm, free);
      }
    } catch (e) {
      dstVm.quit();
      throw e;
    }
    this.destination = dstVm;
  }

  /**
   * QEMU refuses a live migration with RAM pre-copy when nothing tracks a device's DMA (neither IOMMU
   * nor device logging): the "None" mode would mark all mapped RAM dirty on every sync.
   * @throws KernelError EOPNOTSUPP when a device's HWPT has no dirty tracking and the IOMMU is a dirty
   *   source.
   */
  static checkDirtyTracking(options: LiveMigrationOptions): void {
    if (!(options.dirtySources?.iommu ?? true)) return;
    const blind = options.source.devices.find(
      (d) => d.iommufd !== undefined && !d.iommufd.hwpt.dirtyTracking,
    );
    if (blind !== undefined)
      throw new KernelError(
        'EOPNOTSUPP',
        `${blind.host.hostName}: the IOMMU of ${blind.host.name} cannot track dirty pages; RAM pre-copy is blocked`,
      );
  }

  /** The RAM pre-copy, once {@link startRamPrecopy} started it. */
  get ram(): RamPrecopy | undefined {
    return this.precopyRam;
  }

  /**
   * RAM's save_setup: dirty tracking starts (the CPU log and every HWPT's dirty bits, cleared) and
   * every touched page is pending. `tracer` gets the rounds.
   * @throws KernelError from the dirty-tracking ioctls.
   */
  startRamPrecopy(tracer: Tracer): void {
    const { source, dirtySources } = this.options;
    const dirty = new DirtySync({
      vm: source,
      ...(dirtySources !== undefined ? { sources: dirtySources } : {}),
    });
    this.precopyRam = new RamPrecopy(source, this.destination, this.link, dirty, this.options.ram, tracer);
    this.precopyRam.setup();
  }

  /**
   * With the source VM stopped: the final dirty sync and the remaining dirty pages (without pre-copy
   * every touched page, sent as one transfer), the vCPU state (queued interrupts); then source and
   * destination RAM compared page by page.
   */
  copyStopped(): StoppedGuestCopy {
    const vm = this.options.source;
    const dstVm = this.destination;
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
   * The switch-over: the guest's drivers are resumed from the copied RAM (each device's model),
   * `deviceVmStart` runs the device protocol's vm_start, the destination VM is handed to
   * `onGuestResumed` (only once every device started: a failed vm_start leaves the guest where it was),
   * then the destination vCPUs start (and take the interrupts queued meanwhile).
   * @throws KernelError from a resume or `deviceVmStart` (the destination vCPUs do not start).
   */
  resume(deviceVmStart: () => void): Vm {
    const dstVm = this.destination;
    for (const { src, dst } of devicePairs(this.options.source, dstVm)) dst.host.model.resumeGuest(dst, src);
    deviceVmStart();
    this.options.onGuestResumed?.(dstVm);
    dstVm.start();
    return dstVm;
  }

  /** How guest RAM moved, for the report. */
  ramReport(stopped: StoppedGuestCopy): RamMigrationReport {
    const ram = this.precopyRam;
    return {
      mode: ram !== undefined ? 'precopy' : 'stop-and-copy',
      iommuFormat: this.options.source.host.iommu.format.name,
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

  /**
   * On a failed migration, last: the destination QEMU exits (its devices unrealized and free again).
   */
  discardDestination(): void {
    this.destination.quit();
  }
}

/** The source VM's devices paired with the incoming VM's, in order. */
export function devicePairs(
  source: Vm,
  destination: Vm,
): readonly { readonly src: VfioPciDevice; readonly dst: VfioPciDevice }[] {
  const dst = destination.devices;
  return source.devices.map((src, i) => ({ src, dst: dst[i] as VfioPciDevice }));
}
