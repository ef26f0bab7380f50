import { KernelError } from '@vfio-sim/platform';
import type { VfioPciCoreDevice, VfioPciRegion, VfioPciRegionOps } from './vfio-pci-core-device.js';

/**
 * `vfio_pci_core_register_dev_region`: add a device-specific region; it gets index 9 + n (n = regions
 * registered before it), offset `index << 40`, and a TYPE capability with `type`/`subtype` in
 * GET_REGION_INFO. (The v1 migration region registers this way: type 3, subtype 1.) Returns the index.
 * @throws KernelError EINVAL for a negative or non-integer size.
 */
export function vfioPciCoreRegisterDevRegion<D extends VfioPciCoreDevice>(
  vdev: D,
  type: number,
  subtype: number,
  ops: VfioPciRegionOps<D>,
  size: number,
  flags: number,
  data?: unknown,
): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new KernelError('EINVAL', `region size ${size}`);
  const region: VfioPciRegion<D> = { type, subtype, ops, size, flags, data };
  vdev.regions.push(region as unknown as VfioPciRegion);
  return 9 + vdev.regions.length - 1;
}
