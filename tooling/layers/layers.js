// @ts-check
/** Every layer from platform up to the variant drivers: what the VMM and everything above it may use. */
const DRIVER_STACK = [
  'hisi-acc-vfio-pci',
  'mtty',
  'migration-v1',
  'migration-v2',
  'vfio-core',
  'iommufd',
  'qm-hw',
  'platform',
];

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
    name: 'mtty',
    dir: 'packages/mtty',
    mayImport: ['migration-v2', 'vfio-core', 'iommufd', 'platform'],
  },
  { name: 'vmm', dir: 'packages/vmm', mayImport: DRIVER_STACK },
  { name: 'report', dir: 'packages/report', mayImport: ['vmm', ...DRIVER_STACK] },
  { name: 'scenario', dir: 'packages/scenario', mayImport: ['vmm', ...DRIVER_STACK] },
  { name: 'campaign', dir: 'packages/campaign', mayImport: ['scenario', 'vmm', ...DRIVER_STACK] },
  {
    name: 'cli',
    dir: 'packages/cli',
    mayImport: ['campaign', 'scenario', 'report', 'vmm', ...DRIVER_STACK],
  },
  { name: 'harness', dir: 'apps/harness', mayImport: ['cli'] },
];
