import type { PciDriver } from '../pci/pci-dev.js';
import { VFIO_PCI_CORE_OPS } from './core-ops.js';
import { vfioPciCoreProbe, vfioPciCoreRemove } from './register.js';
import type { VfioOpsStyle } from './vfio-pci-core-device.js';

/**
 * Plain vfio-pci (drivers/vfio/pci/vfio_pci.c): no id table of its own, so it binds only to functions
 * whose `driver_override` is `'vfio-pci'`; every op is vfio-pci-core's.
 */
export function vfioPciDriver(options: { readonly opsStyle?: VfioOpsStyle } = {}): PciDriver {
  return {
    name: 'vfio-pci',
    idTable: [],
    probe(pdev) {
      vfioPciCoreProbe(
        pdev,
        VFIO_PCI_CORE_OPS,
        options.opsStyle === undefined ? {} : { opsStyle: options.opsStyle },
      );
    },
    remove: vfioPciCoreRemove,
  };
}
