import { vfioPciRegisterMigrationRegionV1 } from '@vfio-sim/migration-v1';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import { acc_vf_data_v1 } from '../state/acc-vf-data.js';
import { HisiAccMigrationV1 } from './hisi-acc-v1-migration.js';

/**
 * Register the v1 migration region (device-specific region, type 3 / subtype 1, read/write, no mmap):
 * `struct vfio_device_migration_info` at 0, the data section at 32 sized for the RFC's 168-byte
 * `acc_vf_data` (200 bytes in all). Called from `open_device`; released at the last close.
 *
 * Kernel counterpart: the RFC's `hisi_acc_vfio_pci_migrn_init()` → `vfio_pci_register_dev_region()`.
 * @returns the region index (9).
 */
export function hisiAccV1RegionInit(hdev: HisiAccVfCoreDevice): number {
  const driver = new HisiAccMigrationV1(hdev);
  const { region, index } = vfioPciRegisterMigrationRegionV1(
    hdev,
    driver,
    { dataCapacity: acc_vf_data_v1.size },
    (d) => {
      d.migRegionV1 = undefined;
    },
  );
  driver.region = region;
  hdev.migRegionV1 = region;
  return index;
}
