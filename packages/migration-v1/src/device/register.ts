import {
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
  VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
  VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
  type VfioPciCoreDevice,
  vfioPciCoreRegisterDevRegion,
} from '@vfio-sim/vfio-core';
import type { MigrationV1Driver } from './migration-driver.js';
import { MigrationRegionV1, type MigrationRegionV1Options } from './migration-region.js';

/** A registered v1 migration region: the region object and its index in the device fd. */
export interface RegisteredMigrationRegionV1 {
  readonly region: MigrationRegionV1;
  /** The region index (9 + the device-specific regions registered before it). */
  readonly index: number;
}

/**
 * Plug a v1 migration region into a vfio-pci-core device: a device-specific region of type 3 /
 * subtype 1, readable and writable, not mmap-able, whose accesses go to a {@link MigrationRegionV1}
 * serving `driver`. Call it from `open_device` (between enable and finish-enable); vfio-pci-core
 * releases it at the last close (`onRelease` runs then).
 *
 * Kernel counterpart: what a v1 variant driver did with `vfio_pci_register_dev_region()` and its
 * `vfio_pci_regops` (e.g. the RFC's `hisi_acc_vfio_pci_migrn_init`).
 */
export function vfioPciRegisterMigrationRegionV1<D extends VfioPciCoreDevice>(
  vdev: D,
  driver: MigrationV1Driver,
  options: MigrationRegionV1Options,
  onRelease?: (vdev: D) => void,
): RegisteredMigrationRegionV1 {
  const region = new MigrationRegionV1(driver, options);
  const index = vfioPciCoreRegisterDevRegion<D>(
    vdev,
    VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
    VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
    {
      rw: (_vdev, _r, current, buf, count, pos, iswrite) => region.rw(current.mm, buf, count, pos, iswrite),
      release: (v) => onRelease?.(v),
    },
    region.size,
    VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
    region,
  );
  return { region, index };
}
