import type { IommuDevice } from '@vfio-sim/iommufd';
import { type DmaPort, KernelError } from '@vfio-sim/platform';

/**
 * The DMA port of a function whose IOMMU group sits in the blocking domain: every access faults with
 * EFAULT before any byte moves, and is counted in the IOMMU device's `faults`. vfio-core hands it to the
 * device model while the function is bound to iommufd but not attached (after BIND, after DETACH).
 *
 * Kernel counterpart: the IOMMU core's blocking domain (`IOMMU_DOMAIN_BLOCKED`), which
 * `iommu_device_claim_dma_owner` / `iommufd_device_detach` leave the device in.
 */
export class BlockedDmaPort implements DmaPort {
  constructor(
    /** The function's IOMMU view (fault counter, name for messages). */
    readonly iommu: IommuDevice,
  ) {}

  read(iova: number): void {
    this.fault(iova);
  }

  write(iova: number): void {
    this.fault(iova);
  }

  readU32(iova: number): number {
    return this.fault(iova);
  }

  writeU32(iova: number): void {
    this.fault(iova);
  }

  writeU16(iova: number): void {
    this.fault(iova);
  }

  private fault(iova: number): never {
    this.iommu.faults++;
    throw new KernelError('EFAULT', `${this.iommu.name}: DMA to 0x${iova.toString(16)} while blocked`);
  }
}
