// @ts-check
/**
 * The layer table: bottom to top, and which workspace packages each one may import.
 * This is the single source of truth; ARCHITECTURE.md draws it, check.js enforces it.
 * @type {ReadonlyArray<{ name: string; dir: string; mayImport: readonly string[] }>}
 */
export const LAYERS = [
  { name: 'platform', dir: 'packages/platform', mayImport: [] },
  { name: 'qm-hw', dir: 'packages/qm-hw', mayImport: ['platform'] },
  { name: 'iommufd', dir: 'packages/iommufd', mayImport: ['platform'] },
  { name: 'vfio-core', dir: 'packages/vfio-core', mayImport: ['iommufd', 'platform'] },
  { name: 'migration-v1', dir: 'packages/migration-v1', mayImport: ['vfio-core', 'platform'] },
  { name: 'migration-v2', dir: 'packages/migration-v2', mayImport: ['vfio-core', 'platform'] },
  {
    name: 'hisi-acc-vfio-pci',
    dir: 'packages/hisi-acc-vfio-pci',
    mayImport: ['migration-v1', 'migration-v2', 'vfio-core', 'qm-hw', 'platform'],
  },
  {
    name: 'vmm',
    dir: 'packages/vmm',
    mayImport: [
      'hisi-acc-vfio-pci',
      'migration-v1',
      'migration-v2',
      'vfio-core',
      'iommufd',
      'qm-hw',
      'platform',
    ],
  },
  {
    name: 'scenario',
    dir: 'packages/scenario',
    mayImport: [
      'vmm',
      'hisi-acc-vfio-pci',
      'migration-v1',
      'migration-v2',
      'vfio-core',
      'iommufd',
      'qm-hw',
      'platform',
    ],
  },
  {
    name: 'harness',
    dir: 'apps/harness',
    mayImport: [
      'scenario',
      'vmm',
      'hisi-acc-vfio-pci',
      'migration-v1',
      'migration-v2',
      'vfio-core',
      'iommufd',
      'qm-hw',
      'platform',
    ],
  },
];
