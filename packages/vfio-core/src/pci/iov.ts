import { KernelError } from '@vfio-sim/platform';
import type { PciDev, PciDriver } from './pci-dev.js';

/**
 * `pci_enable_sriov(pf, numVfs)`: create the VFs (from the PF's `sriov.createVf`), add them to the bus
 * with `physfn` set, and offer them to the drivers. Called by a PF driver's `sriov_configure`.
 * @throws KernelError ENODEV (no SR-IOV), EINVAL (count), EBUSY (already enabled), EEXIST (VF name taken).
 */
export function pciEnableSriov(pf: PciDev, numVfs: number): PciDev[] {
  return pf.host.enableSriov(pf, numVfs);
}

/** `pci_disable_sriov(pf)`: unbind and remove every VF. */
export function pciDisableSriov(pf: PciDev): void {
  pf.host.disableSriov(pf);
}

/** `pci_num_vf(pf)`. */
export function pciNumVf(pf: PciDev): number {
  return pf.sriov?.numVfs ?? 0;
}

/**
 * `pci_iov_vf_id(vf)`: the 0-based index of a VF within its PF.
 * @throws KernelError EINVAL if `pdev` is not a VF (the kernel returns -EINVAL).
 */
export function pciIovVfId(pdev: PciDev): number {
  if (!pdev.isVirtfn) throw new KernelError('EINVAL', `${pdev.name} is not a VF`);
  return pdev.vfIndex;
}

/**
 * `pci_iov_get_pf_drvdata(vf, pfDriver)`: the PF's drvdata, only if the PF is bound to `pfDriver` (how a
 * variant driver reaches the PF driver's state, e.g. the PF's `struct hisi_qm`).
 * @throws KernelError EINVAL if `pdev` is not a VF or its PF is not bound to `pfDriver` (the kernel
 *   returns ERR_PTR(-EINVAL)).
 */
export function pciIovGetPfDrvdata<T = unknown>(pdev: PciDev, pfDriver: PciDriver): T {
  if (!pdev.isVirtfn || pdev.physfn === undefined)
    throw new KernelError('EINVAL', `${pdev.name} is not a VF`);
  if (pdev.physfn.driver !== pfDriver) {
    throw new KernelError('EINVAL', `PF ${pdev.physfn.name} is not bound to ${pfDriver.name}`, {
      bound: pdev.physfn.driver?.name,
    });
  }
  return pdev.physfn.drvdata as T;
}

/**
 * `pci_try_reset_function(pdev)`: the bound driver's `reset_prepare`, the function reset, then its
 * `reset_done`. The user-writable config state (command register) survives, as the kernel saves and
 * restores it around the reset.
 * @throws KernelError ENOTTY if the function has no reset method.
 */
export function pciTryResetFunction(pdev: PciDev): void {
  const reset = pdev.desc.reset;
  if (reset === undefined) throw new KernelError('ENOTTY', `${pdev.name} has no reset method`);
  const handlers = pdev.driver?.errHandler;
  handlers?.resetPrepare?.(pdev);
  const saved = pdev.config.bytes.slice();
  reset();
  pdev.config.bytes.set(saved);
  handlers?.resetDone?.(pdev);
}

/**
 * `__pci_reset_function_locked(pdev)`: the reset alone, without the driver's reset callbacks and
 * without restoring config (vfio-pci-core uses it when the last user closes the device).
 * @throws KernelError ENOTTY if the function has no reset method.
 */
export function pciResetFunctionLocked(pdev: PciDev): void {
  const reset = pdev.desc.reset;
  if (reset === undefined) throw new KernelError('ENOTTY', `${pdev.name} has no reset method`);
  reset();
  pdev.config.resetWritable();
}
