import { errnoOf, GuestMemory, Process, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { VfioIommuType1 } from './vfio-iommu-type1.js';
import {
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
  VFIO_IOMMU_DIRTY_PAGES,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
  VFIO_IOMMU_UNMAP_DMA,
  vfio_bitmap,
  vfio_iommu_type1_dirty_bitmap_get,
  vfio_iommu_type1_dma_unmap,
} from './vfio-type1-uapi.js';

const PS = 4096;
const MiB = 1 << 20;
const RW = { read: true, write: true };

function setup(pinnedScope: boolean) {
  const mm = new UserMemory();
  const guest = new GuestMemory(4 * MiB);
  const va = mm.mmap(guest);
  const c = new VfioIommuType1();
  c.attachGroup(
    pinnedScope
      ? { name: 'mdev', pinnedPageDirtyScope: true, dmaUnmap: (iova, size) => c.unpinPages(iova, size / PS) }
      : { name: 'vf', pinnedPageDirtyScope: false },
  );
  c.mapDma(mm, va, 0, MiB, RW);
  c.mapDma(mm, va + MiB, MiB, MiB, RW);
  const data = mm.alloc(64, 8);
  return { mm, guest, va, c, data };
}

function words(mm: UserMemory, data: number, n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => mm.readU64(data + 8 * i));
}

describe('VfioIommuType1', () => {
  it('a physical device with no dirty support reports every mapped page dirty, every time', () => {
    const { mm, c, data } = setup(false);
    c.dirtyPagesStart();
    c.dirtyPagesGetBitmap(mm, 0, 2 * MiB, { pgsize: PS, size: 64, data });
    expect(words(mm, data, 8).every((w) => w === (1n << 64n) - 1n)).toBe(true);
    mm.copyToUser(data, new Uint8Array(64));
    c.dirtyPagesGetBitmap(mm, 0, 2 * MiB, { pgsize: PS, size: 64, data });
    expect(words(mm, data, 8).every((w) => w === (1n << 64n) - 1n)).toBe(true);
  });

  it('pinned-scope groups: pinned pages stay dirty, vfio_dma_rw writes are dirty once', () => {
    const { mm, c, data, guest } = setup(true);
    c.pinPages(3 * PS, 1);
    c.dirtyPagesStart(); // seeded with the pinned page
    c.dmaRw(MiB + 5 * PS, new Uint8Array([1, 2]), true);
    expect(guest.readU8(MiB + 5 * PS + 1)).toBe(2);
    c.dirtyPagesGetBitmap(mm, 0, 2 * MiB, { pgsize: PS, size: 64, data });
    expect(mm.readU64(data)).toBe(1n << 3n);
    expect(mm.readU64(data + 32)).toBe(1n << 5n);
    mm.copyToUser(data, new Uint8Array(64));
    c.dirtyPagesGetBitmap(mm, 0, 2 * MiB, { pgsize: PS, size: 64, data });
    expect(mm.readU64(data)).toBe(1n << 3n); // still pinned
    expect(mm.readU64(data + 32)).toBe(0n);
    c.unpinPages(3 * PS, 1);
    c.dirtyPagesGetBitmap(mm, 0, 2 * MiB, { pgsize: PS, size: 64, data });
    mm.copyToUser(data, new Uint8Array(64));
    c.dirtyPagesGetBitmap(mm, 0, 2 * MiB, { pgsize: PS, size: 64, data });
    expect(mm.readU64(data)).toBe(0n);
  });

  it('map/unmap rules: EEXIST, alignment, bisect, nothing → 0, ALL', () => {
    const { mm, c, va } = setup(false);
    expect(errnoOf(() => c.mapDma(mm, va, MiB / 2, PS, RW))).toBe('EEXIST');
    expect(errnoOf(() => c.mapDma(mm, va, 4 * MiB + 1, PS, RW))).toBe('EINVAL');
    expect(errnoOf(() => c.mapDma(mm, va, 4 * MiB, PS, { read: false, write: false }))).toBe('EINVAL');
    expect(errnoOf(() => c.unmapDma(mm, 0, PS))).toBe('EINVAL');
    expect(c.unmapDma(mm, 8 * MiB, MiB)).toBe(0);
    expect(
      errnoOf(() => c.unmapDma(mm, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)),
    ).toBe('EINVAL');
    expect(errnoOf(() => c.unmapDma(mm, 0, MiB, 1 << 31))).toBe('EINVAL');
    expect(c.mappings).toHaveLength(2);
    expect(c.unmapDma(mm, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL)).toBe(2 * MiB);
  });

  it('ioctls: unmap with GET_DIRTY_BITMAP writes the bits of what it removes', () => {
    const { mm, c, data } = setup(false);
    const proc = new Process(mm);
    const start = mm.alloc(8, 8);
    mm.writeU32(start, 8);
    mm.writeU32(start + 4, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
    c.ioctl(proc, VFIO_IOMMU_DIRTY_PAGES, start);
    const un = mm.alloc(48, 8);
    mm.copyToUser(
      un,
      vfio_iommu_type1_dma_unmap.encode({
        argsz: 48,
        flags: VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
        iova: BigInt(MiB),
        size: BigInt(MiB),
      }),
    );
    mm.copyToUser(un + 24, vfio_bitmap.encode({ pgsize: BigInt(PS), size: 32n, data: BigInt(data) }));
    c.ioctl(proc, VFIO_IOMMU_UNMAP_DMA, un);
    expect(mm.readU64(un + 16)).toBe(BigInt(MiB));
    expect(words(mm, data, 4).every((w) => w === (1n << 64n) - 1n)).toBe(true);
    expect(c.mappings).toEqual([{ iova: 0, size: MiB }]);
    // GET_BITMAP through the ioctl, and two flags at once → EINVAL.
    const get = mm.alloc(48, 8);
    mm.writeU32(get, 48);
    mm.writeU32(get + 4, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP);
    mm.copyToUser(
      get + 8,
      vfio_iommu_type1_dirty_bitmap_get.encode({
        iova: 0n,
        size: BigInt(MiB),
        bitmap_pgsize: BigInt(PS),
        bitmap_size: 32n,
        bitmap_data: BigInt(data + 32),
      }),
    );
    c.ioctl(proc, VFIO_IOMMU_DIRTY_PAGES, get);
    expect(mm.readU64(data + 32)).toBe((1n << 64n) - 1n);
    mm.writeU32(get + 4, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP | VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
    expect(errnoOf(() => c.ioctl(proc, VFIO_IOMMU_DIRTY_PAGES, get))).toBe('EINVAL');
    expect(errnoOf(() => c.ioctl(proc, 0x3b7f, get))).toBe('ENOTTY');
  });

  it('copy-out overwrites whole words after a leading partial word, which is OR-ed', () => {
    const mm = new UserMemory();
    const va = mm.mmap(new GuestMemory(MiB));
    const c = new VfioIommuType1();
    c.attachGroup({ name: 'vf', pinnedPageDirtyScope: false });
    c.mapDma(mm, va, 4 * PS, 4 * PS, RW); // bits 4..7 of a GET from 0
    c.dirtyPagesStart();
    const data = mm.alloc(8, 8);
    mm.writeU64(data, 0xff00_0000_0000_0001n);
    c.dirtyPagesGetBitmap(mm, 0, 64 * PS, { pgsize: PS, size: 8, data });
    expect(mm.readU64(data)).toBe(0xff00_0000_0000_00f1n); // leading partial word: OR
    const c2 = new VfioIommuType1();
    c2.attachGroup({ name: 'vf', pinnedPageDirtyScope: false });
    c2.mapDma(mm, va, 0, 4 * PS, RW);
    c2.dirtyPagesStart();
    mm.writeU64(data, 0xff00_0000_0000_0000n);
    c2.dirtyPagesGetBitmap(mm, 0, 64 * PS, { pgsize: PS, size: 8, data });
    expect(mm.readU64(data)).toBe(0xfn); // word overwritten
  });
});
