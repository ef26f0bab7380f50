import { KernelError } from '@vfio-sim/platform';
import {
  type HisiQm,
  PCI_DEVICE_ID_HUAWEI_HPRE_VF,
  PCI_DEVICE_ID_HUAWEI_SEC_VF,
  PCI_DEVICE_ID_HUAWEI_ZIP_VF,
  PCI_VENDOR_ID_HUAWEI,
  QM_HW_V3,
  type QmKind,
} from '@vfio-sim/qm-hw';
import {
  PCI_DRIVER_OVERRIDE_DEVICE_VFIO,
  type PciDev,
  type PciDriver,
  pciIovGetPfDrvdata,
  pciIovVfId,
  VFIO_PCI_CORE_OPS,
  type VfioDeviceOps,
  type VfioMigrationOps,
  vfioPciCoreCloseDevice,
  vfioPciCoreDisable,
  vfioPciCoreEnable,
  vfioPciCoreFinishEnable,
  vfioPciCoreProbe,
  vfioPciCoreRemove,
} from '@vfio-sim/vfio-core';
import {
  hisiAccVfioPciIoctl,
  hisiAccVfioPciMmap,
  hisiAccVfioPciRead,
  hisiAccVfioPciWrite,
} from '../bar2/bar2-split.js';
import { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import { hisiAccV1RegionInit } from '../migration-v1/hisi-acc-v1-region.js';
import {
  HISI_ACC_MIGRATION_FLAGS,
  HISI_ACC_VFIO_PCI_MIGRN_STATE_OPS,
  hisiAccVfDisableFds,
  hisiAccVfReset,
} from '../migration-v2/hisi-acc-v2-migration.js';
import { HISI_QM_PF_PCI_DRIVERS, type HisiQmPfDrvdata } from '../pf/hisi-qm-pf-driver.js';

/** The driver name (`hisi-acc-vfio-pci`), what `driver_override` must say. */
export const HISI_ACC_VFIO_PCI = 'hisi-acc-vfio-pci';

/** The VF ids, matched only through driver_override (`PCI_DRIVER_OVERRIDE_DEVICE_VFIO`). */
export const HISI_ACC_VFIO_PCI_TABLE = [
  PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_HUAWEI, PCI_DEVICE_ID_HUAWEI_SEC_VF),
  PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_HUAWEI, PCI_DEVICE_ID_HUAWEI_HPRE_VF),
  PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_HUAWEI, PCI_DEVICE_ID_HUAWEI_ZIP_VF),
] as const;

const VF_KIND: Readonly<Record<number, QmKind>> = {
  [PCI_DEVICE_ID_HUAWEI_SEC_VF]: 'sec',
  [PCI_DEVICE_ID_HUAWEI_HPRE_VF]: 'hpre',
  [PCI_DEVICE_ID_HUAWEI_ZIP_VF]: 'zip',
};

/**
 * The PF's `struct hisi_qm` for a VF, through the PF driver of the VF's kind: undefined for a non-VF, an
 * unknown id, a PF not bound to that driver, or a PF whose QM is not up.
 *
 * Kernel counterpart: `hisi_acc_get_pf_qm()`.
 */
export function hisiAccGetPfQm(pdev: PciDev): HisiQm | undefined {
  if (!pdev.isVirtfn) return undefined;
  const kind = VF_KIND[pdev.device];
  if (kind === undefined) return undefined;
  try {
    return pciIovGetPfDrvdata<HisiQmPfDrvdata | undefined>(pdev, HISI_QM_PF_PCI_DRIVERS[kind])?.qm;
  } catch (e) {
    if (e instanceof KernelError) return undefined;
    throw e;
  }
}

/**
 * `hisi_acc_vf_qm_init()`: map the VF's BAR2 for the host driver (`vf_qm.io_base`); the gate on it stays
 * closed until a migration stops the vCPUs. @throws KernelError EIO when `ioremap()` fails.
 */
function hisiAccVfQmInit(hdev: HisiAccVfCoreDevice): void {
  hdev.window.ioremap();
}

/**
 * `open_device` with migration: enable the function (vfio-pci-core resets it), v2 state RUNNING with no
 * session, register the v1 migration region, map BAR2 for the host (`hisi_acc_vf_qm_init`), finish
 * enabling. The host's gate on BAR2 starts closed: the guest owns the VF.
 *
 * Any failure after the enable unwinds with `vfio_pci_core_disable()`, which releases the v1 region
 * registered so far (as the merged driver does after a failed `hisi_acc_vf_qm_init()`): nothing stays
 * registered, enabled or mapped, and the next open starts clean. Kernel counterpart:
 * `hisi_acc_vfio_pci_open_device()`; the RFC's open leaked the region on this path.
 */
function hisiAccVfioPciOpenDevice(hdev: HisiAccVfCoreDevice): void {
  vfioPciCoreEnable(hdev);
  try {
    hisiAccVfReset(hdev);
    hisiAccV1RegionInit(hdev);
    hisiAccVfQmInit(hdev);
  } catch (e) {
    vfioPciCoreDisable(hdev);
    throw e;
  }
  vfioPciCoreFinishEnable(hdev);
}

/**
 * `close_device`: end the v2 sessions (v6.16+), drop the host mapping of BAR2 (`iounmap`), then
 * vfio-pci-core's close (which releases the v1 region).
 */
function hisiAccVfioPciCloseDevice(hdev: HisiAccVfCoreDevice): void {
  hisiAccVfDisableFds(hdev);
  hdev.window.iounmap();
  vfioPciCoreCloseDevice(hdev);
}

/**
 * The ops of a migratable VF, in vfio-core's explicit style: vfio-pci-core's table with only what this
 * driver changes named (open/close for migration, ioctl/read/write/mmap for the BAR2 split).
 * Kernel counterpart: `hisi_acc_vfio_pci_migrn_ops`.
 */
export const HISI_ACC_VFIO_PCI_MIGRN_OPS: VfioDeviceOps<HisiAccVfCoreDevice> = {
  ...(VFIO_PCI_CORE_OPS as VfioDeviceOps<HisiAccVfCoreDevice>),
  name: HISI_ACC_VFIO_PCI,
  openDevice: hisiAccVfioPciOpenDevice,
  closeDevice: hisiAccVfioPciCloseDevice,
  ioctl: hisiAccVfioPciIoctl,
  read: hisiAccVfioPciRead,
  write: hisiAccVfioPciWrite,
  mmap: hisiAccVfioPciMmap,
};

/**
 * The ops without migration (PF QM missing or older than V3): plain vfio-pci-core, no BAR2 split, as
 * upstream. Kernel counterpart: `hisi_acc_vfio_pci_ops`.
 */
export const HISI_ACC_VFIO_PCI_OPS: VfioDeviceOps = { ...VFIO_PCI_CORE_OPS, name: HISI_ACC_VFIO_PCI };

/**
 * The variant driver: binds to SEC/HPRE/ZIP VFs through driver_override only; no `sriov_configure` (it
 * drives VFs, never PFs). With a PF QM of version ≥ V3 the device migrates — over the v1 region and
 * over v2 (`mig_ops`, STOP_COPY | PRE_COPY) — and BAR2 is split; otherwise it is a plain passthrough
 * device.
 *
 * Kernel counterpart: `hisi_acc_vfio_pci_driver` (hisi_acc_vfio_pci.c).
 */
export const hisiAccVfioPciDriver: PciDriver = {
  name: HISI_ACC_VFIO_PCI,
  idTable: HISI_ACC_VFIO_PCI_TABLE,
  probe(pdev) {
    const pfQm = hisiAccGetPfQm(pdev);
    if (pfQm !== undefined && pfQm.ver >= QM_HW_V3) {
      const vfId = pciIovVfId(pdev) + 1;
      vfioPciCoreProbe(pdev, HISI_ACC_VFIO_PCI_MIGRN_OPS as VfioDeviceOps, {
        create: (p, ops, o) => {
          const hdev = new HisiAccVfCoreDevice(p, ops, o, pfQm, vfId);
          // hisi_acc_vfio_pci_migrn_init_dev: v2 mig_ops and flags, set before registration.
          hdev.migOps = HISI_ACC_VFIO_PCI_MIGRN_STATE_OPS as VfioMigrationOps;
          hdev.migrationFlags = HISI_ACC_MIGRATION_FLAGS;
          return hdev;
        },
      });
      return;
    }
    vfioPciCoreProbe(pdev, HISI_ACC_VFIO_PCI_OPS);
  },
  remove: vfioPciCoreRemove,
  errHandler: {
    /**
     * `reset_done` (FLR, VFIO_DEVICE_RESET): the device lost its state, so any migration session ends
     * and the device is RUNNING (v1 region and v2 state; v2 data fds disabled). Differs on purpose
     * (defect B): applies whenever migration is set up, not only when `migration_flags == STOP_COPY`.
     */
    resetDone(pdev) {
      const hdev = pdev.drvdata;
      if (!(hdev instanceof HisiAccVfCoreDevice)) return;
      hdev.migRegionV1?.reset();
      hisiAccVfReset(hdev);
    },
  },
};
