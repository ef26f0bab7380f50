import type { VfioDeviceOps } from '../vfio/vfio-device.js';
import { VFIO_PCI_CORE_OPS } from './core-ops.js';
import type { VfioOpsStyle } from './vfio-pci-core-device.js';

const OP_NAMES = [
  'init',
  'release',
  'openDevice',
  'closeDevice',
  'read',
  'write',
  'ioctl',
  'mmap',
  'request',
  'match',
  'deviceFeature',
  'bindIommufd',
  'unbindIommufd',
  'attachIoas',
  'detachIoas',
] as const satisfies readonly (keyof VfioDeviceOps)[];

type AnyOp = (...args: unknown[]) => unknown;

/** Complete `ops` according to `style` (see {@link VfioOpsStyle}). */
export function vfioPciResolveOps(ops: VfioDeviceOps, style: VfioOpsStyle): VfioDeviceOps {
  switch (style) {
    case 'explicit':
      return ops;
    case 'merged':
      return vfioPciMergeOps(VFIO_PCI_CORE_OPS, ops);
    case 'fallback': {
      const table: Record<string, unknown> = { name: ops.name };
      const drv = ops as unknown as Record<string, AnyOp | undefined>;
      const core = VFIO_PCI_CORE_OPS as unknown as Record<string, AnyOp | undefined>;
      for (const op of OP_NAMES) {
        table[op] = (...args: unknown[]) => {
          const fn = drv[op] ?? core[op];
          return fn?.apply(drv[op] !== undefined ? ops : VFIO_PCI_CORE_OPS, args);
        };
      }
      return table as unknown as VfioDeviceOps;
    }
  }
}

/**
 * Layer ops tables (later layers win for every op they define), like RDMA's `ib_set_device_ops`: the
 * result is a frozen table with no per-call lookup.
 */
export function vfioPciMergeOps(...layers: readonly VfioDeviceOps[]): VfioDeviceOps {
  const table: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) table[k] = v;
  }
  return Object.freeze(table) as unknown as VfioDeviceOps;
}
