import * as hisiAccVfioPci from '@vfio-sim/hisi-acc-vfio-pci';
import * as iommufd from '@vfio-sim/iommufd';
import * as migrationV1 from '@vfio-sim/migration-v1';
import * as migrationV2 from '@vfio-sim/migration-v2';
import * as mtty from '@vfio-sim/mtty';
import * as platform from '@vfio-sim/platform';
import * as qmHw from '@vfio-sim/qm-hw';
import * as vfioCore from '@vfio-sim/vfio-core';
import * as vmm from '@vfio-sim/vmm';

/** What one layer of the stack offers today, read from the package itself (its export count). */
export interface LayerStatus {
  readonly name: string;
  readonly exports: number;
  readonly built: boolean;
}

const PACKAGES: ReadonlyArray<[string, object]> = [
  ['@vfio-sim/platform', platform],
  ['@vfio-sim/qm-hw', qmHw],
  ['@vfio-sim/iommufd', iommufd],
  ['@vfio-sim/vfio-core', vfioCore],
  ['@vfio-sim/migration-v1', migrationV1],
  ['@vfio-sim/migration-v2', migrationV2],
  ['@vfio-sim/hisi-acc-vfio-pci', hisiAccVfioPci],
  ['@vfio-sim/mtty', mtty],
  ['@vfio-sim/vmm', vmm],
];

/** Every layer, bottom to top, with what it exports now: a package that exports nothing is not built yet. */
export function layerStatus(): LayerStatus[] {
  return PACKAGES.map(([name, mod]) => {
    const exports = Object.keys(mod).length;
    return { name, exports, built: exports > 0 };
  });
}
