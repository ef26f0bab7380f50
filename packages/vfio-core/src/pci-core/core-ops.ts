import type { VfioDeviceOps } from '../vfio/vfio-device.js';
import {
  vfioPciCoreCloseDevice,
  vfioPciCoreInitDev,
  vfioPciCoreMatch,
  vfioPciCoreOpenDevice,
  vfioPciCoreReleaseDev,
  vfioPciCoreRequest,
} from './enable.js';
import { vfioPciCoreIoctl, vfioPciCoreIoctlFeature } from './ioctl.js';
import {
  vfioIommufdPhysicalAttachIoas,
  vfioIommufdPhysicalBind,
  vfioIommufdPhysicalDetachIoas,
  vfioIommufdPhysicalUnbind,
} from './iommufd-physical.js';
import { vfioPciCoreMmap } from './mmap.js';
import { vfioPciCoreRead, vfioPciCoreWrite } from './rdwr.js';

/**
 * vfio-pci-core's default ops — the table plain vfio-pci uses (`vfio_pci_ops` in drivers/vfio/pci/vfio_pci.c):
 * every op is a vfio-pci-core function. A variant driver spreads it and overrides what it needs:
 * `{ ...VFIO_PCI_CORE_OPS, name: 'hisi-acc-vfio-pci', ioctl: hisiIoctl }`.
 */
export const VFIO_PCI_CORE_OPS: VfioDeviceOps = Object.freeze({
  name: 'vfio-pci',
  init: vfioPciCoreInitDev,
  release: vfioPciCoreReleaseDev,
  openDevice: vfioPciCoreOpenDevice,
  closeDevice: vfioPciCoreCloseDevice,
  ioctl: vfioPciCoreIoctl,
  read: vfioPciCoreRead,
  write: vfioPciCoreWrite,
  mmap: vfioPciCoreMmap,
  request: vfioPciCoreRequest,
  match: vfioPciCoreMatch,
  deviceFeature: vfioPciCoreIoctlFeature,
  bindIommufd: vfioIommufdPhysicalBind,
  unbindIommufd: vfioIommufdPhysicalUnbind,
  attachIoas: vfioIommufdPhysicalAttachIoas,
  detachIoas: vfioIommufdPhysicalDetachIoas,
} as VfioDeviceOps);
