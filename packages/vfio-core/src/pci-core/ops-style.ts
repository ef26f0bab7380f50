import type { VfioDeviceOps } from '../vfio/vfio-device-ops.js';
import { VFIO_PCI_CORE_OPS } from './core-ops.js';

/**
 * How a variant driver's ops table becomes the table the device fd dispatches to — the seed thread's
 * debate (RFC v2 1/4, July 2021):
 *
 * - `'explicit'` (Max Gurtovoy; what upstream merged): the table is used exactly as written. vfio-pci-core
 *   is a library; a driver names every op it wants (`.read = vfio_pci_core_read`, …). A missing
 *   read/write/ioctl/mmap answers EINVAL. In TypeScript `{ ...VFIO_PCI_CORE_OPS, ioctl: mine }` writes it.
 * - `'fallback'` (Leon Romanovsky, Shameer Kolothum): a missing op falls back to vfio-pci-core's default,
 *   looked up at every call (the `reflck_attach` precedent: "use the core default if not implemented").
 * - `'merged'` (Jason Gunthorpe): a new table is built once at device creation by layering the driver's
 *   ops over the core's, as RDMA's `ib_set_device_ops` does; later edits of the driver table are not seen.
 */
export type VfioOpsStyle = 'explicit' | 'fallback' | 'merged';

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
