import { HISI_ACC_VFIO_PCI_MIGRN_OPS } from '@vfio-sim/hisi-acc-vfio-pci';
import { errnoOf, Process, UserMemory, VirtualClock } from '@vfio-sim/platform';
import { VFIO_PCI_BAR2_REGION_INDEX, VFIO_PCI_CORE_OPS, Vfio } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import type { VfioOpsStyle } from './hisi-acc-ops-style.js';
import { createHost } from './host.js';

/** What a VMM sees of a host's first VF: region info, BAR2 on each path, migration. */
function answers(opsStyle: VfioOpsStyle) {
  const host = createHost({ name: opsStyle, clock: new VirtualClock(), numVfs: 1, opsStyle });
  const dev = Vfio.of(host.pci).openDevice(new Process(new UserMemory()), host.vfs[0]!.name);
  const bar2 = dev.regionOffset(VFIO_PCI_BAR2_REGION_INDEX);
  return {
    vdev: host.vfioDevice(0),
    bar2Size: dev.getRegionInfo(VFIO_PCI_BAR2_REGION_INDEX).size,
    config: dev.getRegionInfo(7).size,
    v1Region: dev.getRegionInfo(9).size,
    readFunctional: dev.pread(bar2, 4).length,
    readMigrationHalf: errnoOf(() => dev.pread(bar2 + 0x8000, 4)),
    writeMigrationHalf: errnoOf(() => dev.pwrite(bar2 + 0x8000, new Uint8Array(4))),
    mmapWhole: errnoOf(() => dev.mmap(VFIO_PCI_BAR2_REGION_INDEX, 0x10000)),
    mmapHalf: errnoOf(() => dev.mmap(VFIO_PCI_BAR2_REGION_INDEX, 0x8000)),
    migrationFlags: dev.getMigrationFlags(),
  };
}

describe('hisiAccVfioPciDriverStyled', () => {
  it('explicit is the upstream driver; fallback and merged complete a table of only the overrides', () => {
    const explicit = answers('explicit');
    expect(explicit.vdev.driverOps).toBe(HISI_ACC_VFIO_PCI_MIGRN_OPS);
    for (const style of ['fallback', 'merged'] as const) {
      const { vdev } = answers(style);
      expect(vdev.opsStyle).toBe(style);
      expect(vdev.driverOps.read).toBe(HISI_ACC_VFIO_PCI_MIGRN_OPS.read);
      expect(vdev.driverOps.match).toBeUndefined(); // left to vfio-pci-core
      expect(vdev.driverOps.bindIommufd).toBeUndefined();
    }
    expect(answers('merged').vdev.ops.match).toBe(VFIO_PCI_CORE_OPS.match);
  });

  it('the three styles answer alike: BAR2 half on every path, the v1 region, v2 migration', () => {
    const want = {
      bar2Size: 0x8000,
      config: 4096,
      v1Region: 200,
      readFunctional: 4,
      readMigrationHalf: 'EINVAL',
      writeMigrationHalf: 'EINVAL',
      mmapWhole: 'EINVAL',
      mmapHalf: undefined,
      migrationFlags: 5,
    };
    for (const style of ['explicit', 'fallback', 'merged'] as const) {
      const { vdev: _vdev, ...rest } = answers(style);
      expect(rest).toEqual(want);
    }
  });
});
