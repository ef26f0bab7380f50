import { MigrationRegionV1 } from '@vfio-sim/migration-v1';
import {
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
  VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
  VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
  vfioPciCoreRegisterDevRegion,
} from '@vfio-sim/vfio-core';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import { acc_vf_data_v1 } from '../state/acc-vf-data.js';
import { HisiAccMigrationV1 } from './hisi-acc-v1-migration.js';

/** The region ops type, as `vfio_pci_core_register_dev_region` takes it. */
type RegionOps = Parameters<typeof vfioPciCoreRegisterDevRegion<HisiAccVfCoreDevice>>[3];

const regionOps: RegionOps = {
  rw(hdev, _region, current, buf, count, pos, iswrite) {
    const region = hdev.migRegionV1;
    if (region === undefined) return 0;
    return region.rw(current.mm, buf, count, pos, iswrite);
  },
  release(hdev) {
    hdev.migRegionV1 = undefined;
  },
};

/**
 * Register the v1 migration region (device-specific region, type 3 / subtype 1, read/write, no mmap):
 * `struct vfio_device_migration_info` at 0, the data section at 32 sized for the RFC's 168-byte
 * `acc_vf_data` (200 bytes in all). Called from `open_device`.
 *
 * Kernel counterpart: the RFC's `hisi_acc_vfio_pci_migrn_init()` → `vfio_pci_register_dev_region()`.
 * @returns the region index (9).
 */
export function hisiAccV1RegionInit(hdev: HisiAccVfCoreDevice): number {
  const driver = new HisiAccMigrationV1(hdev);
  const region = new MigrationRegionV1(driver, { dataCapacity: acc_vf_data_v1.size });
  driver.region = region;
  hdev.migRegionV1 = region;
  return vfioPciCoreRegisterDevRegion(
    hdev,
    VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
    VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
    regionOps,
    region.size,
    VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
  );
}
