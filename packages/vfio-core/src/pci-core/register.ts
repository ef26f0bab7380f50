import type { PciDev } from '../pci/pci-dev.js';
import { Vfio } from '../vfio/vfio.js';
import { type VfioDeviceOps, vfioCheckMigrationOps } from '../vfio/vfio-device.js';
import { vfioPciResolveOps } from './ops-style.js';
import { VfioPciCoreDevice, type VfioPciCoreDeviceOptions } from './vfio-pci-core-device.js';

/**
 * `vfio_alloc_device` + `vfio_init_device`: complete the ops table per the device's
 * ops style, then run its `init` on the freshly constructed device (after
 * the subclass constructor, so its fields exist). Returns the device.
 */
export function vfioInitDevice<D extends VfioPciCoreDevice>(vdev: D): D {
  resolveOps(vdev);
  vdev.ops.init?.(vdev);
  return vdev;
}

/** Complete the driver's table per the device's ops style (once). */
function resolveOps(vdev: VfioPciCoreDevice): void {
  if (vdev.ops === vdev.driverOps) vdev.ops = vfioPciResolveOps(vdev.driverOps, vdev.opsStyle);
}

/**
 * `vfio_pci_core_register_device`: check migration/logging ops (EINVAL, see `vfioCheckMigrationOps`),
 * then make the device available through `Vfio.of(pdev.host)`.
 * @throws KernelError EINVAL, EEXIST
 */
export function vfioPciCoreRegisterDevice(vdev: VfioPciCoreDevice): void {
  vfioCheckMigrationOps(vdev);
  resolveOps(vdev);
  Vfio.of(vdev.pdev.host).registerDevice(vdev);
}

/** `vfio_pci_core_unregister_device`. @throws KernelError EBUSY while device fds stay open */
export function vfioPciCoreUnregisterDevice(vdev: VfioPciCoreDevice): void {
  vdev.vfio?.unregisterDevice(vdev);
}

/** Options of {@link vfioPciCoreProbe}. */
export interface VfioPciCoreProbeOptions<D extends VfioPciCoreDevice> extends VfioPciCoreDeviceOptions {
  /** Build the driver's device (a subclass of VfioPciCoreDevice); default `new VfioPciCoreDevice(...)`. */
  readonly create?: (pdev: PciDev, ops: VfioDeviceOps<D>, options: VfioPciCoreDeviceOptions) => D;
}

/**
 * What a vfio-pci(-variant) driver's `probe` does: allocate the device (`vfio_alloc_device` → `init` op),
 * register it (`vfio_pci_core_register_device`) and set it as drvdata. Returns the device.
 * @throws KernelError from init or registration (nothing stays registered then).
 */
export function vfioPciCoreProbe<D extends VfioPciCoreDevice = VfioPciCoreDevice>(
  pdev: PciDev,
  ops: VfioDeviceOps<D>,
  options: VfioPciCoreProbeOptions<D> = {},
): D {
  const devOptions: VfioPciCoreDeviceOptions =
    options.opsStyle === undefined ? {} : { opsStyle: options.opsStyle };
  const vdev = options.create
    ? options.create(pdev, ops, devOptions)
    : (new VfioPciCoreDevice(pdev, ops, devOptions) as D);
  vfioInitDevice(vdev);
  try {
    vfioPciCoreRegisterDevice(vdev);
  } catch (e) {
    vdev.ops.release?.(vdev);
    throw e;
  }
  pdev.drvdata = vdev;
  return vdev;
}

/** What a vfio-pci(-variant) driver's `remove` does: unregister, release (`vfio_put_device`). */
export function vfioPciCoreRemove(pdev: PciDev): void {
  const vdev = pdev.drvdata;
  if (!(vdev instanceof VfioPciCoreDevice)) return;
  vfioPciCoreUnregisterDevice(vdev);
  vdev.ops.release?.(vdev);
}
