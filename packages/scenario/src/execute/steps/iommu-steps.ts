import { IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR } from '@vfio-sim/iommufd';
import { KernelError } from '@vfio-sim/platform';
import type { StepRunners } from '../observation.js';
import type { ScenarioWorld } from '../world.js';

/** The set bits of a little-endian bitmap (bit i of byte j is bit 8j + i), ascending. */
export function setBits(bitmap: Uint8Array): number[] {
  const bits: number[] = [];
  for (let byte = 0; byte < bitmap.length; byte++) {
    const v = bitmap[byte] as number;
    if (v === 0) continue;
    for (let b = 0; b < 8; b++) if ((v & (1 << b)) !== 0) bits.push(byte * 8 + b);
  }
  return bits;
}

/** Bytes of a bitmap of `length / pageSize` bits, in whole u64 words (the uAPI's unit). */
function bitmapBytes(length: number, pageSize: number): number {
  return Math.ceil(Math.ceil(length / pageSize) / 64) * 8;
}

/** An IOAS or HWPT by name. */
function object(world: ScenarioWorld, kind: 'ioas' | 'hwpt', name: string) {
  return world[kind].get(name) as NonNullable<ReturnType<ScenarioWorld['ioas']['get']>>;
}

/**
 * IOMMU dirty tracking as a VMM drives it: through iommufd (IOMMU_GET_HW_INFO, IOAS alloc/map/unmap, HWPT
 * alloc, attach/detach of the device cdev, SET_DIRTY_TRACKING, GET_DIRTY_BITMAP with NO_CLEAR) and through
 * the device's own DMA logging (VFIO_DEVICE_FEATURE DMA_LOGGING_*); and a device DMA write, the stimulus
 * the tracking must see.
 */
export const IOMMU_STEPS: StepRunners<
  | 'hw-info'
  | 'ioas-alloc'
  | 'ioas-map'
  | 'ioas-unmap'
  | 'hwpt-alloc'
  | 'attach'
  | 'detach'
  | 'set-dirty-tracking'
  | 'get-dirty-bitmap'
  | 'dma-write'
  | 'dma-logging-start'
  | 'dma-logging-stop'
  | 'dma-logging-report'
> = {
  'hw-info'(world, args, got) {
    const entry = world.device(args.device);
    const { capabilities } = entry.vmm.iommufd.getHwInfo(entry.devId ?? 0);
    got.dirtyTracking = (capabilities & BigInt(IOMMU_HW_CAP_DIRTY_TRACKING)) !== 0n;
  },
  'ioas-alloc'(world, args) {
    const vmm = world.vmm(args.host);
    world.ioas.set(args.as, { vmm, id: vmm.iommufd.ioasAlloc() });
  },
  'ioas-map'(world, args, got) {
    const { vmm, id } = object(world, 'ioas', args.ioas);
    got.iova = vmm.iommufd.ioasMap(id, vmm.ramVa + args.offset, args.length, {
      ...(args.iova !== undefined ? { iova: args.iova } : {}),
      readable: args.readable,
      writeable: args.writeable,
    });
  },
  'ioas-unmap'(world, args, got) {
    const { vmm, id } = object(world, 'ioas', args.ioas);
    got.bytes = vmm.iommufd.ioasUnmap(id, args.iova, args.length);
  },
  'hwpt-alloc'(world, args) {
    const entry = world.device(args.device);
    const { vmm, id: ioasId } = object(world, 'ioas', args.ioas);
    world.hwpt.set(args.as, { vmm, id: vmm.iommufd.hwptAlloc(entry.devId ?? 0, ioasId, args.flags) });
  },
  attach(world, args) {
    const entry = world.device(args.device);
    const pt = world.hwpt.get(args.pt) ?? world.ioas.get(args.pt);
    entry.handle.attachIommufdPt(pt?.id ?? 0);
  },
  detach(world, args) {
    world.device(args.device).handle.detachIommufdPt();
  },
  'set-dirty-tracking'(world, args) {
    const { vmm, id } = object(world, 'hwpt', args.hwpt);
    vmm.iommufd.setDirtyTracking(id, args.enable);
  },
  'get-dirty-bitmap'(world, args, got) {
    const { vmm, id } = object(world, 'hwpt', args.hwpt);
    const size = bitmapBytes(args.length, args.pageSize);
    const va = world.userBuffer(vmm, size);
    vmm.process.mm.copyToUser(va, new Uint8Array(size));
    const flags = args.noClear ? IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0;
    vmm.iommufd.getDirtyBitmap(id, args.iova, args.length, args.pageSize, va, flags);
    got.bitmap = setBits(vmm.process.mm.copyFromUser(va, size));
  },
  'dma-write'(world, args) {
    const entry = world.device(args.device);
    const iommu = entry.host.pci.get(entry.pciName).iommu;
    if (iommu === undefined) throw new KernelError('ENODEV', `${entry.pciName} is behind no IOMMU`);
    iommu.dmaPort.write(args.iova, args.bytes);
  },
  'dma-logging-start'(world, args, got) {
    got.pageSize = world.device(args.device).handle.dmaLoggingStart(args.ranges, args.pageSize);
  },
  'dma-logging-stop'(world, args) {
    world.device(args.device).handle.dmaLoggingStop();
  },
  'dma-logging-report'(world, args, got) {
    const entry = world.device(args.device);
    got.bitmap = setBits(entry.handle.dmaLoggingReport(args.iova, args.length, args.pageSize));
  },
};
