import {
  ProcessRegionIo,
  QemuV1Client,
  type V1ConfigPlacement,
  VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
  VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
} from '@vfio-sim/migration-v1';
import { KernelError } from '@vfio-sim/platform';
import {
  VFIO_PCI_NUM_REGIONS,
  VFIO_REGION_INFO_CAP_TYPE,
  type VfioDeviceHandle,
  type VfioRegionInfo,
} from '@vfio-sim/vfio-core';
import type { VfioPciDevice } from '../../devices/vfio-pci-device.js';

/**
 * Find the device's v1 migration region the way QEMU does: walk the device-specific regions (index ≥
 * VFIO_PCI_NUM_REGIONS) for a TYPE capability (MIGRATION_DEPRECATED, MIGRATION_DEPRECATED).
 *
 * VMM counterpart: `vfio_get_dev_region_info(vbasedev, VFIO_REGION_TYPE_MIGRATION_DEPRECATED, …)` in
 * QEMU's `vfio_migration_init`.
 * @throws KernelError EINVAL if the device has no v1 migration region (QEMU: migration blocked).
 */
export function findV1MigrationRegion(handle: VfioDeviceHandle): VfioRegionInfo {
  const { numRegions } = handle.getInfo();
  for (let index = VFIO_PCI_NUM_REGIONS; index < numRegions; index++) {
    const info = handle.getRegionInfo(index);
    const isMigration = info.caps.some(
      (cap) =>
        'type' in cap &&
        cap.id === VFIO_REGION_INFO_CAP_TYPE &&
        cap.type === VFIO_REGION_TYPE_MIGRATION_DEPRECATED &&
        cap.subtype === VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
    );
    if (isMigration) return info;
  }
  throw new KernelError('EINVAL', `${handle.name}: no v1 migration region; migration is blocked`);
}

/**
 * QEMU's v1 client on a passed-through device: pread/pwrite on the VM's device fd at the migration
 * region; the CONFIG section carries the device's emulated config (`dev.config`) where
 * `configPlacement` puts it (QEMU 6.0+: `save_state`, by default; 5.2: the start of stop-and-copy).
 * @throws KernelError EINVAL if the device has no v1 migration region.
 */
export function openQemuV1Client(
  dev: VfioPciDevice,
  configPlacement: V1ConfigPlacement = 'save-state',
): QemuV1Client {
  const { handle } = dev;
  const region = findV1MigrationRegion(handle);
  return new QemuV1Client(new ProcessRegionIo(dev.vm.process, handle.fd, region.offset), region.size, {
    config: dev.config,
    configPlacement,
  });
}
