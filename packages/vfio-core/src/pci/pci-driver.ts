import type { PciDev } from './pci-dev.js';
import type { PciDeviceId } from './pci-ids.js';

/**
 * The PCI error/reset callbacks a driver may provide (kernel `struct pci_error_handlers`, the reset
 * pair). `pci_try_reset_function` calls `resetPrepare` before and `resetDone` after the reset.
 */
export interface PciErrorHandlers {
  /** `reset_prepare`. */
  resetPrepare?(pdev: PciDev): void;
  /** `reset_done`. */
  resetDone?(pdev: PciDev): void;
}

/**
 * A PCI driver (kernel `struct pci_driver`). `probe` throws a KernelError to refuse the device; on
 * success it normally sets drvdata. Variant vfio drivers list their ids with
 * `PCI_DRIVER_OVERRIDE_DEVICE_VFIO` so they bind only through `driver_override`.
 */
export interface PciDriver {
  readonly name: string;
  readonly idTable: readonly PciDeviceId[];
  probe(pdev: PciDev, id: PciDeviceId): void;
  remove?(pdev: PciDev): void;
  /** `sriov_configure`: enable `numVfs` VFs (0 = disable); returns the number enabled. */
  sriovConfigure?(pdev: PciDev, numVfs: number): number;
  /** `err_handler`. */
  readonly errHandler?: PciErrorHandlers;
}
