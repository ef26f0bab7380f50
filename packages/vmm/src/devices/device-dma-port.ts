import type { DmaPort } from '@vfio-sim/platform';
import type { CpuDirtyLog } from '../vm/cpu-dirty-log.js';

/**
 * The DMA port a passed-through device uses: every access goes to `iommu` (the IOMMU-translated port,
 * which sets the IOMMU's dirty bits), and its writes are kept out of the guest's CPU dirty log —
 * in a real host KVM's dirty log only sees vCPU stores; the model's guest memory has one write hook,
 * so the port tells the log that a device is writing. Allocates nothing per access.
 *
 * Kernel counterpart: none in software — the bus-level fact that device DMA reaches RAM through the
 * IOMMU and never through the CPU's stage-2 / EPT tables.
 */
export class DeviceDmaPort implements DmaPort {
  constructor(
    private readonly iommu: DmaPort,
    private readonly cpuLog: CpuDirtyLog,
  ) {}

  read(iova: number, dst: Uint8Array): void {
    this.iommu.read(iova, dst);
  }

  write(iova: number, src: Uint8Array): void {
    this.cpuLog.beginDeviceDma();
    try {
      this.iommu.write(iova, src);
    } finally {
      this.cpuLog.endDeviceDma();
    }
  }

  readU32(iova: number): number {
    return this.iommu.readU32(iova);
  }

  writeU32(iova: number, value: number): void {
    this.cpuLog.beginDeviceDma();
    try {
      this.iommu.writeU32(iova, value);
    } finally {
      this.cpuLog.endDeviceDma();
    }
  }

  writeU16(iova: number, value: number): void {
    this.cpuLog.beginDeviceDma();
    try {
      this.iommu.writeU16(iova, value);
    } finally {
      this.cpuLog.endDeviceDma();
    }
  }
}
