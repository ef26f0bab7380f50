import { errnoOf, GuestMemory, Process, UserMemory } from '@vfio-sim/platform';
import { expect } from 'vitest';
import { type Type1Group, VfioIommuType1 } from '../vfio-iommu-type1.js';
import {
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_WRITE,
  vfio_bitmap,
  vfio_iommu_type1_dirty_bitmap,
  vfio_iommu_type1_dirty_bitmap_get,
  vfio_iommu_type1_dma_map,
  vfio_iommu_type1_dma_unmap,
} from '../vfio-type1-uapi.js';

export const MiB = 1 << 20;
export const PS = 4096;
export const RW = { read: true, write: true };
/** What the user bitmap holds before a call: any write shows. */
export const BITMAP_FILL = 0xa5;

/** Options of {@link type1Bed}. */
export interface Type1BedOptions {
  /** VFIO_TYPE1v2_IOMMU (default) or VFIO_TYPE1_IOMMU. */
  readonly v2?: boolean;
  /** An emulated (mdev) group whose device unpins on `dma_unmap`, instead of a physical device. */
  readonly emulated?: boolean;
  /** Bytes of process heap. */
  readonly heapSize?: number;
  readonly dmaEntryLimit?: number;
}

/**
 * A type1 container with one group and two 1 MiB mappings at IOVA 0 and 1 MiB, a process whose memory
 * holds the ioctl structs, a 64-byte user bitmap filled with {@link BITMAP_FILL}, struct builders, and
 * {@link refused}: the call fails with the errno and leaves mappings, tracking, `dma_avail`, the bitmap
 * and the ioctl's struct as they were.
 */
export function type1Bed(options: Type1BedOptions = {}) {
  const mm = new UserMemory(options.heapSize);
  const proc = new Process(mm);
  const guest = new GuestMemory(8 * MiB);
  const va = mm.mmap(guest);
  const c = new VfioIommuType1({
    v2: options.v2 ?? true,
    ...(options.dmaEntryLimit !== undefined ? { dmaEntryLimit: options.dmaEntryLimit } : {}),
  });
  const unmapped: Array<[number, number]> = [];
  const group: Type1Group = options.emulated
    ? {
        name: 'mdev',
        pinnedPageDirtyScope: true,
        dmaUnmap: (iova, size) => {
          unmapped.push([iova, size]);
          c.unpinPages(iova, size / PS);
        },
      }
    : { name: 'vf', pinnedPageDirtyScope: false };
  c.attachGroup(group);
  c.mapDma(mm, va, 0, MiB, RW);
  c.mapDma(mm, va + MiB, MiB, MiB, RW);
  const bitmap = mm.alloc(64, 8);
  mm.copyToUser(bitmap, new Uint8Array(64).fill(BITMAP_FILL));

  const ioctl = (cmd: number, arg: number) => c.ioctl(proc, cmd, arg);
  const mapArg = (
    o: Partial<{ argsz: number; flags: number; vaddr: bigint; iova: bigint; size: bigint }> = {},
  ) =>
    mm.pushStruct(vfio_iommu_type1_dma_map, {
      argsz: 32,
      flags: VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
      vaddr: BigInt(va + 2 * MiB),
      iova: BigInt(4 * MiB),
      size: BigInt(MiB),
      ...o,
    });
  const unmapArg = (
    o: Partial<{ argsz: number; flags: number; iova: bigint; size: bigint }> = {},
    bm?: Partial<{ pgsize: bigint; size: bigint; data: bigint }>,
  ) => {
    const at = mm.alloc(48, 8);
    mm.copyToUser(
      at,
      vfio_iommu_type1_dma_unmap.encode({ argsz: 48, flags: 0, iova: BigInt(MiB), size: BigInt(MiB), ...o }),
    );
    mm.copyToUser(
      at + 24,
      vfio_bitmap.encode({ pgsize: BigInt(PS), size: 64n, data: BigInt(bitmap), ...bm }),
    );
    return at;
  };
  const dirtyArg = (
    flags: number,
    argsz = 48,
    g: Partial<{
      iova: bigint;
      size: bigint;
      bitmap_pgsize: bigint;
      bitmap_size: bigint;
      bitmap_data: bigint;
    }> = {},
  ) => {
    const at = mm.alloc(48, 8);
    mm.copyToUser(at, vfio_iommu_type1_dirty_bitmap.encode({ argsz, flags }));
    mm.copyToUser(
      at + 8,
      vfio_iommu_type1_dirty_bitmap_get.encode({
        iova: 0n,
        size: BigInt(2 * MiB),
        bitmap_pgsize: BigInt(PS),
        bitmap_size: 64n,
        bitmap_data: BigInt(bitmap),
        ...g,
      }),
    );
    return at;
  };
  const state = (arg?: number, argLen = 48) => ({
    mappings: c.mappings,
    tracking: c.dirtyTracking,
    avail: c.dmaAvail,
    bitmap: [...mm.copyFromUser(bitmap, 64)],
    arg: arg === undefined ? [] : [...mm.copyFromUser(arg, argLen)],
  });
  /** `fn` fails with `errno` and changes nothing (the struct at `arg` included). */
  const refused = (errno: string, fn: () => unknown, arg?: number, argLen = 48) => {
    const before = state(arg, argLen);
    expect(errnoOf(fn)).toBe(errno);
    expect(state(arg, argLen)).toEqual(before);
  };
  return {
    mm,
    proc,
    guest,
    va,
    c,
    group,
    bitmap,
    unmapped,
    ioctl,
    mapArg,
    unmapArg,
    dirtyArg,
    state,
    refused,
  };
}
