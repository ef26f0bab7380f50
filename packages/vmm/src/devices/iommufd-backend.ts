import {
  IOMMU_HW_CAP_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IommufdClient,
  type IommuHw,
  openIommufd,
} from '@vfio-sim/iommufd';
import type { Vm } from '../vm/vm.js';

/** A paging HWPT the VM's devices behind one IOMMU instance are attached to. */
export interface VmHwpt {
  readonly id: number;
  /** The IOMMU instance whose page table it is. */
  readonly iommu: IommuHw;
  /** Whether it was allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING. */
  readonly dirtyTracking: boolean;
}

/**
 * A VM's iommufd, as QEMU's iommufd backend and container hold it: `/dev/iommu` opened in the VM's QEMU
 * process, one IOAS with all of guest RAM mapped at IOVA = guest-physical address, and one paging HWPT
 * per IOMMU instance — allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING when IOMMU_GET_HW_INFO says the
 * IOMMU can track, and shared by every device behind that IOMMU.
 *
 * Huge IOPTEs as QEMU leaves them: IOMMU_OPTION_HUGE_PAGES stays at the kernel's default (1), so each
 * domain maps guest RAM with the largest leaves its page sizes and the alignment allow (1 GiB, 2 MiB;
 * a 1 TiB guest is 1,024 leaves) and the kernel reports a dirty leaf as every page it maps. A VM
 * created with `iommuHugePages: false` sets the option to 0 before mapping: 4 KiB leaves only.
 *
 * Kernel/VMM counterpart: QEMU `iommufd_backend_connect`, `iommufd_cdev_attach` →
 * `iommufd_cdev_autodomains_get` (a HWPT per compatible IOMMU, dirty tracking when capable), the
 * container's memory listener (`iommufd_cdev_map` of each RAM section); QEMU issues no IOMMU_OPTION
 * (backends/iommufd.c), so HUGE_PAGES is the kernel's default.
 */
export class IommufdBackend {
  /** The VMM's ioctl-shaped client on the `/dev/iommu` fd. */
  readonly client: IommufdClient;
  readonly ioasId: number;
  /** The VMM's user address of guest RAM ({@link Vm.ramVa}). */
  readonly ramVa: number;
  /** Guest RAM in the IOAS: IOVA and length. */
  readonly iova: number;
  readonly length: number;
  private readonly hwpts: VmHwpt[] = [];

  private constructor(
    readonly vm: Vm,
    readonly fd: number,
  ) {
    const { process, memory } = vm;
    this.client = new IommufdClient(process, fd);
    this.ramVa = vm.ramVa;
    this.ioasId = this.client.ioasAlloc();
    if (!vm.iommuHugePages) this.client.setHugePages(this.ioasId, false);
    this.length = memory.size;
    this.iova = this.client.ioasMap(this.ioasId, this.ramVa, this.length, { iova: 0 });
  }

  /**
   * The VM's backend, opened (and guest RAM mapped) on first use.
   * @throws KernelError from an iommufd ioctl.
   */
  static of(vm: Vm): IommufdBackend {
    if (vm.iommufd === undefined) {
      vm.iommufd = new IommufdBackend(vm, vm.process.install(openIommufd()));
    }
    return vm.iommufd;
  }

  /** Every HWPT allocated so far (one per IOMMU instance). */
  get hwptList(): readonly VmHwpt[] {
    return this.hwpts;
  }

  /**
   * The HWPT for bound device `devId` behind `iommu`: the existing one for that IOMMU, or a new one on
   * the IOAS, with dirty tracking if IOMMU_GET_HW_INFO reports IOMMU_HW_CAP_DIRTY_TRACKING.
   * @throws KernelError from GET_HW_INFO or HWPT_ALLOC.
   */
  hwptFor(devId: number, iommu: IommuHw): VmHwpt {
    const existing = this.hwpts.find((h) => h.iommu === iommu);
    if (existing !== undefined) return existing;
    const { capabilities } = this.client.getHwInfo(devId);
    const dirtyTracking = (capabilities & BigInt(IOMMU_HW_CAP_DIRTY_TRACKING)) !== 0n;
    const id = this.client.hwptAlloc(devId, this.ioasId, dirtyTracking ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0);
    const hwpt: VmHwpt = { id, iommu, dirtyTracking };
    this.hwpts.push(hwpt);
    return hwpt;
  }

  /** Close `/dev/iommu` (the kernel destroys the HWPTs and the IOAS with the last reference). */
  close(): void {
    if (this.vm.process.openFds().includes(this.fd)) this.vm.process.close(this.fd);
  }
}
