import { KernelError } from '@vfio-sim/platform';
import { PCI_COMMAND, PCI_COMMAND_MEMORY } from '../pci/config-space.js';
import { pciResetFunctionLocked, pciTryResetFunction } from '../pci/iov.js';
import type { VfioPciCoreDevice } from './vfio-pci-core-device.js';

/**
 * `vfio_pci_core_init_dev` (the default `init` op): nothing to allocate in the model; kept so explicit
 * ops tables can name it.
 */
export function vfioPciCoreInitDev(_vdev: VfioPciCoreDevice): void {}

/** `vfio_pci_core_release_dev` (the default `release` op). */
export function vfioPciCoreReleaseDev(_vdev: VfioPciCoreDevice): void {}

/**
 * `vfio_pci_core_enable` (first half of open): enable the function and reset it (`pci_try_reset_function`,
 * which also runs the bound driver's reset_prepare/reset_done); `reset_works` records whether it could.
 */
export function vfioPciCoreEnable(vdev: VfioPciCoreDevice): void {
  if (vdev.enabled) throw new KernelError('EBUSY', `${vdev.name} is already enabled`);
  vdev.resetWorks = false;
  if (vdev.pdev.hasReset) {
    pciTryResetFunction(vdev.pdev);
    vdev.resetWorks = true;
  }
  vdev.enabled = true;
}

/** `vfio_pci_core_finish_enable` (second half of open): memory decoding on. */
export function vfioPciCoreFinishEnable(vdev: VfioPciCoreDevice): void {
  const cfg = vdev.pdev.config;
  cfg.write(PCI_COMMAND, 2, cfg.command | PCI_COMMAND_MEMORY);
}

/**
 * `vfio_pci_core_disable` (close): release and forget the device-specific regions, reset the function
 * without the driver's callbacks (`__pci_reset_function_locked`), disable it.
 */
export function vfioPciCoreDisable(vdev: VfioPciCoreDevice): void {
  for (const region of vdev.regions) region.ops.release?.(vdev, region);
  vdev.regions.length = 0;
  if (vdev.resetWorks) pciResetFunctionLocked(vdev.pdev);
  vdev.enabled = false;
}

/** The default `open_device` (vfio-pci's `vfio_pci_open_device`): enable + finish_enable. */
export function vfioPciCoreOpenDevice(vdev: VfioPciCoreDevice): void {
  vfioPciCoreEnable(vdev);
  vfioPciCoreFinishEnable(vdev);
}

/** `vfio_pci_core_close_device` (the default `close_device`): disable. */
export function vfioPciCoreCloseDevice(vdev: VfioPciCoreDevice): void {
  vfioPciCoreDisable(vdev);
}

/**
 * `vfio_pci_core_match` (the default `match` op): the device name, optionally followed by
 * ` vf_token=<uuid>` (the token is accepted but not checked: VF tokens are not modelled).
 */
export function vfioPciCoreMatch(vdev: VfioPciCoreDevice, buf: string): boolean {
  const [name] = buf.split(' ');
  return name === vdev.name;
}

/** `vfio_pci_core_request` (the default `request` op): the model has no REQ eventfd; nothing happens. */
export function vfioPciCoreRequest(_vdev: VfioPciCoreDevice, _count: number): void {}
