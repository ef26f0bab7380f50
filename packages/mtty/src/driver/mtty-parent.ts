import {
  type MdevDevice,
  type MdevDriver,
  MdevParent,
  type MdevType,
  mdevRegisterParent,
  mdevUnregisterParent,
  type PciBus,
  VFIO_DEVICE_API_PCI_STRING,
  type VfioDeviceOps,
  vfioAllocDevice,
  vfioPutDevice,
  vfioRegisterEmulatedIommuDev,
  vfioUnregisterGroupDev,
} from '@vfio-sim/vfio-core';
import { MttyMdevState } from '../device/mdev-state.js';
import { MAX_MTTYS } from '../uapi/mtty-data.js';
import { MTTY_DEV_OPS } from './mtty-dev-ops.js';

/** An mtty mdev type (kernel `struct mtty_type`): an `mdev_type` plus its port count. */
export interface MttyType extends MdevType {
  /** `nr_ports`. */
  readonly nrPorts: 1 | 2;
}

/** `mtty_types[]`: `mtty-1` (one port) and `mtty-2` (two ports). */
export const MTTY_TYPES: readonly MttyType[] = [
  { sysfsName: '1', prettyName: 'Single port serial', nrPorts: 1 },
  { sysfsName: '2', prettyName: 'Dual port serial', nrPorts: 2 },
];

/** `MTTY_NAME`: the parent device's and the mdev driver's name. */
export const MTTY_NAME = 'mtty';

/**
 * `mtty_driver` (`struct mdev_driver`): `probe` allocates the device (`vfio_alloc_device` → init) and
 * registers it with an emulated IOMMU, `remove` unregisters and releases it, `get_available` is the free
 * ports divided by the type's port count.
 */
export const MTTY_DRIVER: MdevDriver = {
  name: MTTY_NAME,
  deviceApi: VFIO_DEVICE_API_PCI_STRING,
  probe(mdev: MdevDevice): void {
    const mdevState = vfioAllocDevice(new MttyMdevState(mdev, MTTY_DEV_OPS as VfioDeviceOps));
    try {
      vfioRegisterEmulatedIommuDev(mdev.parent.host, mdevState);
    } catch (e) {
      vfioPutDevice(mdevState);
      throw e;
    }
    mdev.drvdata = mdevState;
  },
  remove(mdev: MdevDevice): void {
    const mdevState = mdev.drvdata as MttyMdevState;
    vfioUnregisterGroupDev(mdevState);
    vfioPutDevice(mdevState);
  },
  getAvailable(parent: MdevParent, type: MdevType): number {
    return Math.floor((parent as MttyDev).availPorts / (type as MttyType).nrPorts);
  },
};

/**
 * The mtty parent device of one host (kernel `struct mtty_dev`, which embeds the `mdev_parent`): offers
 * {@link MTTY_TYPES} and owns the host's pool of serial ports (`mdev_avail_ports`, {@link MAX_MTTYS}:
 * a module global in C, one per host here).
 */
export class MttyDev extends MdevParent {
  /** `mdev_avail_ports`: ports not taken by an mtty device. */
  availPorts = MAX_MTTYS;

  constructor(host: PciBus) {
    super(host, MTTY_NAME, MTTY_DRIVER, MTTY_TYPES);
  }
}

/**
 * Load the mtty sample on `host` (`mtty_dev_init`, the module init): the `mtty` parent with types
 * `mtty-1` and `mtty-2` appears on the host's mdev bus. Create devices with
 * `mdevDeviceCreate(parent, 'mtty-2', uuid)`; each is a vfio device named by its UUID.
 * @throws KernelError EEXIST if the host already has an `mtty` parent.
 */
export function mttyDevInit(host: PciBus): MttyDev {
  const parent = new MttyDev(host);
  mdevRegisterParent(parent);
  return parent;
}

/**
 * Unload it (`mtty_dev_exit`): every mtty device is removed, then the parent. In the model a device
 * whose vfio fd is still open refuses (EBUSY) and the parent stays.
 */
export function mttyDevExit(parent: MttyDev): void {
  mdevUnregisterParent(parent);
}
