import type { MmioRegion, Task, VmArea } from '@vfio-sim/platform';
import type { VfioInfoCaps } from './info-caps.js';
import type { VfioPciCoreDevice } from './vfio-pci-core-device.js';

/**
 * A device-specific region's callbacks (kernel `struct vfio_pci_regops`).
 *
 * Deliberate difference: `rw` gets the position *inside the region* (C passes the device-fd `loff_t *`
 * and every handler masks it with VFIO_PCI_OFFSET_MASK); the core advances the file position by the
 * returned byte count.
 */
export interface VfioPciRegionOps<D extends VfioPciCoreDevice = VfioPciCoreDevice> {
  /** `rw`: move `count` bytes between user memory at `buf` and region position `pos`; returns bytes moved. */
  rw(
    vdev: D,
    region: VfioPciRegion<D>,
    current: Task,
    buf: number,
    count: number,
    pos: number,
    iswrite: boolean,
  ): number;
  /** `release`: the device is being torn down (last close). */
  release?(vdev: D, region: VfioPciRegion<D>): void;
  /** `mmap`: map part of the region (needs VFIO_REGION_INFO_FLAG_MMAP too). */
  mmap?(vdev: D, region: VfioPciRegion<D>, vma: VmArea): MmioRegion;
  /** `add_capability`: extra region-info capabilities beyond the TYPE one the core adds. */
  addCapability?(vdev: D, region: VfioPciRegion<D>, caps: VfioInfoCaps): void;
}

/** A registered device-specific region (kernel `struct vfio_pci_region`); its index is 9 + position. */
export interface VfioPciRegion<D extends VfioPciCoreDevice = VfioPciCoreDevice> {
  readonly type: number;
  readonly subtype: number;
  readonly ops: VfioPciRegionOps<D>;
  readonly size: number;
  /** VFIO_REGION_INFO_FLAG_* */
  readonly flags: number;
  /** Driver data (`void *data`). */
  readonly data: unknown;
}
