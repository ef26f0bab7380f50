import { KernelError } from '@vfio-sim/platform';
import { type HisiQm, PCI_VENDOR_ID_HUAWEI, PfDriver, QM_DEVICE_IDS, type QmKind } from '@vfio-sim/qm-hw';
import {
  PCI_DEVICE,
  type PciDev,
  type PciDriver,
  pciDisableSriov,
  pciEnableSriov,
} from '@vfio-sim/vfio-core';
import { qmBoardSlotOf } from './qm-pci-board.js';

/** The PF driver of each accelerator kind, by its kernel module name. */
export const HISI_QM_PF_DRIVER_NAME: Readonly<Record<QmKind, string>> = {
  zip: 'hisi_zip',
  sec: 'hisi_sec2',
  hpre: 'hisi_hpre',
};

/**
 * What the PF driver keeps as drvdata: its `struct hisi_qm` once the QM is up (what
 * `pci_iov_get_pf_drvdata()` hands the vfio variant driver), and the qm-hw PF driver behind it.
 */
export interface HisiQmPfDrvdata {
  readonly kind: QmKind;
  qm: HisiQm | undefined;
  pf: PfDriver | undefined;
}

/**
 * The accelerator's PF driver as a PCI driver (hisi_zip / hisi_sec2 / hisi_hpre): binds to the PF id,
 * and on `sriov_configure` brings the QM up with the VFs' queue ranges (qm-hw's {@link PfDriver}) and
 * enables the VFs on PCI. One driver object per kind, as the kernel has one `struct pci_driver` per
 * module: the vfio variant driver names it in `pci_iov_get_pf_drvdata()`.
 *
 * Kernel counterpart: `hisi_zip_pci_driver` & co. (drivers/crypto/hisilicon/). Differs: the QM is
 * initialised at the first `sriov_configure` rather than at probe (the qm-hw PF driver programs the VFT
 * for a known VF count in one step).
 */
export function hisiQmPfPciDriver(kind: QmKind): PciDriver {
  return HISI_QM_PF_PCI_DRIVERS[kind];
}

function makePfPciDriver(kind: QmKind): PciDriver {
  return {
    name: HISI_QM_PF_DRIVER_NAME[kind],
    idTable: [PCI_DEVICE(PCI_VENDOR_ID_HUAWEI, QM_DEVICE_IDS[kind].pf)],
    probe(pdev: PciDev) {
      if (qmBoardSlotOf(pdev) === undefined) {
        throw new KernelError('ENODEV', `${pdev.name}: no QM device model behind this PF`);
      }
      const drvdata: HisiQmPfDrvdata = { kind, qm: undefined, pf: undefined };
      pdev.drvdata = drvdata;
    },
    remove(pdev: PciDev) {
      pciDisableSriov(pdev);
      pdev.drvdata = undefined;
    },
    sriovConfigure(pdev: PciDev, numVfs: number): number {
      const drvdata = pdev.drvdata as HisiQmPfDrvdata;
      if (numVfs === 0) {
        pciDisableSriov(pdev);
        return 0;
      }
      if (drvdata.pf !== undefined) {
        throw new KernelError('EBUSY', `${pdev.name}: VFs were already configured once`);
      }
      const slot = qmBoardSlotOf(pdev)!;
      const pf = PfDriver.probe({
        device: slot.device,
        clock: slot.device.clock,
        numVfs,
        ...(slot.qpPerVf !== undefined ? { qpPerVf: slot.qpPerVf } : {}),
        ...(slot.tracer !== undefined ? { tracer: slot.tracer } : {}),
      });
      drvdata.pf = pf;
      drvdata.qm = pf.pfQm;
      pciEnableSriov(pdev, numVfs);
      return numVfs;
    },
  };
}

/** The three PF drivers. */
export const HISI_QM_PF_PCI_DRIVERS: Readonly<Record<QmKind, PciDriver>> = {
  zip: makePfPciDriver('zip'),
  sec: makePfPciDriver('sec'),
  hpre: makePfPciDriver('hpre'),
};
