import {
  HISI_ACC_MIGRATION_FLAGS,
  HISI_ACC_VFIO_PCI,
  HISI_ACC_VFIO_PCI_MIGRN_OPS,
  HISI_ACC_VFIO_PCI_MIGRN_STATE_OPS,
  HisiAccVfCoreDevice,
  hisiAccGetPfQm,
  hisiAccVfioPciDriver,
} from '@vfio-sim/hisi-acc-vfio-pci';
import { QM_HW_V3 } from '@vfio-sim/qm-hw';
import {
  type PciDriver,
  pciIovVfId,
  type VfioDeviceOps,
  type VfioMigrationOps,
  type VfioPciCoreDeviceOptions,
  vfioPciCoreProbe,
} from '@vfio-sim/vfio-core';

/** vfio-core's ops-table styles: `explicit`, `fallback`, `merged` (`VfioPciCoreDeviceOptions.opsStyle`). */
export type VfioOpsStyle = NonNullable<VfioPciCoreDeviceOptions['opsStyle']>;

/**
 * hisi-acc-vfio-pci's ops as the fallback and merged styles of the seed thread would write them: only the
 * ops the driver changes (open/close for migration, ioctl/read/write/mmap for the BAR2 split); vfio-pci-core
 * supplies the rest — at every call (`fallback`) or once when the device is set up (`merged`).
 */
const HISI_ACC_OVERRIDES: VfioDeviceOps = {
  name: HISI_ACC_VFIO_PCI,
  openDevice: HISI_ACC_VFIO_PCI_MIGRN_OPS.openDevice,
  closeDevice: HISI_ACC_VFIO_PCI_MIGRN_OPS.closeDevice,
  ioctl: HISI_ACC_VFIO_PCI_MIGRN_OPS.ioctl,
  read: HISI_ACC_VFIO_PCI_MIGRN_OPS.read,
  write: HISI_ACC_VFIO_PCI_MIGRN_OPS.write,
  mmap: HISI_ACC_VFIO_PCI_MIGRN_OPS.mmap,
} as VfioDeviceOps;

/**
 * The hisi-acc-vfio-pci driver with its ops table completed in `style` (vfio-core's `VfioOpsStyle`): the
 * upstream driver for `explicit` (every op named, `...VFIO_PCI_CORE_OPS` plus the overrides), and for
 * `fallback` / `merged` the same probe with only the overrides given — so a host can show the three
 * answers of the ops-table debate behaving alike on a real variant driver.
 *
 * Kernel counterpart: `hisi_acc_vfio_pci_driver` (explicit); the other two are the thread's proposals.
 */
export function hisiAccVfioPciDriverStyled(style: VfioOpsStyle): PciDriver {
  if (style === 'explicit') return hisiAccVfioPciDriver;
  return {
    ...hisiAccVfioPciDriver,
    probe(pdev, id) {
      const pfQm = hisiAccGetPfQm(pdev);
      // Without a V3 PF QM the driver is plain passthrough, the same in every style.
      if (pfQm === undefined || pfQm.ver < QM_HW_V3) return hisiAccVfioPciDriver.probe(pdev, id);
      vfioPciCoreProbe(pdev, HISI_ACC_OVERRIDES, {
        opsStyle: style,
        create: (p, ops, o) => {
          const hdev = new HisiAccVfCoreDevice(p, ops, o, pfQm, pciIovVfId(pdev) + 1);
          hdev.migOps = HISI_ACC_VFIO_PCI_MIGRN_STATE_OPS as VfioMigrationOps;
          hdev.migrationFlags = HISI_ACC_MIGRATION_FLAGS;
          return hdev;
        },
      });
    },
  };
}
