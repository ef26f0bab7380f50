import type { MmioRegion } from '@vfio-sim/platform';
import type { PciDev } from '../pci/pci-dev.js';
import { VfioDevice } from '../vfio/vfio-device.js';
import type { VfioDeviceOps } from '../vfio/vfio-device-ops.js';
import { type VfioOpsStyle, vfioPciResolveOps } from './ops-style.js';
import type { VfioPciRegion } from './vfio-pci-region.js';

/** Options of a {@link VfioPciCoreDevice}. */
export interface VfioPciCoreDeviceOptions {
  /** How the driver's ops table is completed (default `'explicit'`; see the package README). */
  readonly opsStyle?: VfioOpsStyle;
}

/**
 * A PCI device driven through vfio-pci-core (kernel `struct vfio_pci_core_device`): the PCI function,
 * its BAR mappings, the device-specific regions, and (inherited from {@link VfioDevice}) the ops table,
 * `migOps`, `logOps` and `migrationFlags`. Variant drivers extend it, as C embeds it in their own struct.
 *
 * `ops` (what the device fd dispatches to) is `driverOps` completed according to `opsStyle`.
 */
export class VfioPciCoreDevice extends VfioDevice {
  /** The ops table the driver passed, before completion. */
  readonly driverOps: VfioDeviceOps;
  readonly opsStyle: VfioOpsStyle;
  /** Device-specific regions (`vdev->region`, `num_regions` = length); region `n` has index 9 + n. */
  readonly regions: VfioPciRegion[] = [];
  /** `reset_works`: the function can be reset (set when the device is enabled). */
  resetWorks: boolean;
  /** Between `vfio_pci_core_enable` and `vfio_pci_core_disable`. */
  enabled = false;

  constructor(
    /** `vdev->pdev`. */
    readonly pdev: PciDev,
    ops: VfioDeviceOps,
    options: VfioPciCoreDeviceOptions = {},
  ) {
    const style = options.opsStyle ?? 'explicit';
    super(pdev.name, vfioPciResolveOps(ops, style));
    this.driverOps = ops;
    this.opsStyle = style;
    this.resetWorks = pdev.hasReset;
  }

  /** `vdev->barmap[]`: the register space behind each BAR (undefined = no BAR). */
  get bars(): readonly (MmioRegion | undefined)[] {
    return this.pdev.bars;
  }

  /** `vdev->num_regions`: device-specific regions registered. */
  get numRegions(): number {
    return this.regions.length;
  }
}
