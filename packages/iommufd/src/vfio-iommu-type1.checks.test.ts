/**
 * Every check of vfio_iommu_type1.c's ioctls, one test each, named after the kernel's condition
 * (drivers/vfio/vfio_iommu_type1.c, newest). Each refused call must leave the container, the user
 * bitmap and the ioctl's struct as they were.
 */
import { errnoOf, GuestMemory, Process, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { BITMAP_FILL, MiB, PS, RW, type1Bed } from './__fixtures__/type1-bed.js';
import { VfioIommuType1 } from './vfio-iommu-type1.js';
import {
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_VADDR,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
  VFIO_DMA_UNMAP_FLAG_VADDR,
  VFIO_IOMMU_DIRTY_PAGES,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_UNMAP_DMA,
  vfio_iommu_type1_dma_unmap,
} from './vfio-type1-uapi.js';

const GET_DIRTY = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
const U64_MAX = (1n << 64n) - 1n;
/** A user address above TASK_SIZE_MAX: `access_ok` fails. */
const KERNEL_VA = 1n << 63n;
/** A user-half address nothing is mapped at: `access_ok` passes, the copy faults. */
const UNMAPPED_VA = 0x7000_0000_0000n;

describe('VFIO_IOMMU_UNMAP_DMA with GET_DIRTY_BITMAP while dirty tracking is not started (issue 13, item 1)', () => {
  it('vfio_dma_do_unmap: `GET_DIRTY_BITMAP && !iommu->dirty_page_tracking` → EINVAL, nothing unmapped, bitmap untouched', () => {
    const b = type1Bed();
    expect(b.c.dirtyTracking).toBe(false);
    const arg = b.unmapArg({ flags: GET_DIRTY });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
    expect(b.c.mappings).toHaveLength(2);
    expect(b.state().bitmap.every((x) => x === BITMAP_FILL)).toBe(true);
  });

  it('the same through the kernel-side call', () => {
    const b = type1Bed();
    b.refused('EINVAL', () =>
      b.c.unmapDma(b.mm, MiB, MiB, GET_DIRTY, { pgsize: PS, size: 64, data: b.bitmap }),
    );
  });

  it('after STOP the check applies again (tracking was started, then stopped)', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    b.c.dirtyPagesStop();
    const arg = b.unmapArg({ flags: GET_DIRTY });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it('once started, the same call unmaps and writes the bits', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    b.mm.copyToUser(b.bitmap, new Uint8Array(64));
    const arg = b.unmapArg({ flags: GET_DIRTY });
    b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg);
    expect(b.c.mappings).toEqual([{ iova: 0, size: MiB }]);
    expect(b.mm.readU64(arg + 16)).toBe(BigInt(MiB));
    expect(b.mm.readU64(b.bitmap)).toBe(U64_MAX); // a physical device: every page dirty
  });
});

describe('VFIO_IOMMU_MAP_DMA: vfio_iommu_type1_map_dma + vfio_dma_do_map', () => {
  it('copy_from_user(&map, arg, minsz) faults → EFAULT', () => {
    const b = type1Bed();
    b.refused('EFAULT', () => b.ioctl(VFIO_IOMMU_MAP_DMA, 0x10));
  });

  it('`map.argsz < minsz` (offsetofend(size) = 32) → EINVAL', () => {
    const b = type1Bed();
    const arg = b.mapArg({ argsz: 31 });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('`map.flags & ~(READ | WRITE | VADDR)` → EINVAL', () => {
    const b = type1Bed();
    const arg = b.mapArg({ flags: VFIO_DMA_MAP_FLAG_READ | (1 << 3) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('`prot && set_vaddr` → EINVAL', () => {
    const b = type1Bed();
    const arg = b.mapArg({ flags: VFIO_DMA_MAP_FLAG_WRITE | VFIO_DMA_MAP_FLAG_VADDR });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('`!prot && !set_vaddr` → EINVAL', () => {
    const b = type1Bed();
    const arg = b.mapArg({ flags: 0 });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('`!size` → EINVAL', () => {
    const b = type1Bed();
    const arg = b.mapArg({ size: 0n });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it.each([
    ['size', { size: BigInt(MiB + 512) }],
    ['iova', { iova: BigInt(4 * MiB + 512) }],
    ['vaddr', { vaddr: 0x7f00_0020_0200n }],
  ])('`(size | iova | vaddr) & (pgsize - 1)`: %s → EINVAL', (_f, fields) => {
    const b = type1Bed();
    const arg = b.mapArg(fields);
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('`iova + size - 1 < iova` (IOVA wraps) → EINVAL', () => {
    const b = type1Bed();
    const arg = b.mapArg({ iova: U64_MAX - BigInt(PS) + 1n, size: BigInt(2 * PS) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('`vaddr + size - 1 < vaddr` (process address wraps) → EINVAL', () => {
    const b = type1Bed();
    const arg = b.mapArg({ vaddr: U64_MAX - BigInt(PS) + 1n, size: BigInt(2 * PS) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('VADDR: `!dma` → ENOENT', () => {
    const b = type1Bed();
    const arg = b.mapArg({ flags: VFIO_DMA_MAP_FLAG_VADDR, iova: BigInt(4 * MiB) });
    b.refused('ENOENT', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('VADDR: `!dma->vaddr_invalid || dma->iova != iova || dma->size != size` → EINVAL', () => {
    const b = type1Bed();
    const notInvalid = b.mapArg({ flags: VFIO_DMA_MAP_FLAG_VADDR, iova: 0n, size: BigInt(MiB) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, notInvalid), notInvalid, 32);
    b.c.unmapDma(b.mm, 0, MiB, VFIO_DMA_UNMAP_FLAG_VADDR);
    const other = b.mapArg({ flags: VFIO_DMA_MAP_FLAG_VADDR, iova: 0n, size: BigInt(PS) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, other), other, 32);
    b.c.updateVaddr(b.mm, b.va + 4 * MiB, 0, MiB); // exactly it: accepted
    expect(errnoOf(() => b.c.dmaRw(0, new Uint8Array(4), true))).toBeUndefined();
  });

  it('`vfio_find_dma(iova, size)` overlaps → EEXIST', () => {
    const b = type1Bed();
    const arg = b.mapArg({ iova: BigInt(MiB / 2) });
    b.refused('EEXIST', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('`!iommu->dma_avail` → ENOSPC', () => {
    const b = type1Bed({ dmaEntryLimit: 2 });
    expect(b.c.dmaAvail).toBe(0);
    const arg = b.mapArg();
    b.refused('ENOSPC', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('`!vfio_iommu_iova_dma_valid(iova, iova + size - 1)` (outside the domain aperture) → EINVAL', () => {
    const b = type1Bed();
    const arg = b.mapArg({ iova: 2n ** 48n - BigInt(PS) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('vfio_pin_map_dma: the process address is not mapped → EFAULT (the mapping is removed again)', () => {
    const b = type1Bed();
    const arg = b.mapArg({ vaddr: UNMAPPED_VA });
    b.refused('EFAULT', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });

  it('emulated groups only: no pinning at map time, so an unmapped process address maps (and faults on use)', () => {
    const b = type1Bed({ emulated: true });
    b.ioctl(VFIO_IOMMU_MAP_DMA, b.mapArg({ vaddr: UNMAPPED_VA }));
    expect(b.c.mappings).toHaveLength(3);
    expect(errnoOf(() => b.c.dmaRw(4 * MiB, new Uint8Array(1), false))).toBe('EFAULT');
  });

  it('tracking: `vfio_dma_bitmap_alloc`: `npages > DIRTY_BITMAP_PAGES_MAX` → EINVAL (the mapping is removed again)', () => {
    const b = type1Bed({ emulated: true });
    b.c.dirtyPagesStart();
    const arg = b.mapArg({ iova: 1n << 40n, vaddr: 1n << 40n, size: 2n ** 43n });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_MAP_DMA, arg), arg, 32);
  });
});

describe('VFIO_IOMMU_UNMAP_DMA: vfio_iommu_type1_unmap_dma', () => {
  it('copy_from_user(&unmap, arg, minsz) faults → EFAULT', () => {
    const b = type1Bed();
    b.refused('EFAULT', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, 0x10));
  });

  it('`unmap.argsz < minsz` (offsetofend(size) = 24) → EINVAL', () => {
    const b = type1Bed();
    const arg = b.unmapArg({ argsz: 23 });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it('`unmap.flags & ~mask` → EINVAL', () => {
    const b = type1Bed();
    const arg = b.unmapArg({ flags: 2 ** 31 });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it.each([
    ['ALL', VFIO_DMA_UNMAP_FLAG_ALL],
    ['VADDR', VFIO_DMA_UNMAP_FLAG_VADDR],
  ])('`GET_DIRTY_BITMAP && (flags & (ALL | VADDR))`: with %s → EINVAL', (_n, other) => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.unmapArg({ flags: GET_DIRTY | other });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it('GET_DIRTY_BITMAP: `unmap.argsz < minsz + sizeof(bitmap)` → EINVAL', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.unmapArg({ flags: GET_DIRTY, argsz: 47 });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it('GET_DIRTY_BITMAP: copy_from_user of the vfio_bitmap faults → EFAULT', () => {
    const mm = new UserMemory(4096);
    const proc = new Process(mm);
    const va = mm.mmap(new GuestMemory(2 * MiB));
    const c = new VfioIommuType1();
    c.attachGroup({ name: 'vf', pinnedPageDirtyScope: false });
    c.mapDma(mm, va, 0, MiB, RW);
    c.dirtyPagesStart();
    mm.alloc(4096 - 24, 8);
    const arg = mm.alloc(24, 8); // the last 24 bytes of the heap: the vfio_bitmap after it is unmapped
    mm.copyToUser(
      arg,
      vfio_iommu_type1_dma_unmap.encode({ argsz: 48, flags: GET_DIRTY, iova: 0n, size: BigInt(MiB) }),
    );
    expect(errnoOf(() => c.ioctl(proc, VFIO_IOMMU_UNMAP_DMA, arg))).toBe('EFAULT');
    expect(c.mappings).toHaveLength(1);
  });

  it('GET_DIRTY_BITMAP: `!access_ok(bitmap.data, bitmap.size)` → EINVAL', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.unmapArg({ flags: GET_DIRTY }, { data: KERNEL_VA });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it.each([
    ['`!npages` (size >> __ffs(pgsize) = 0)', { pgsize: BigInt(4 * MiB) }],
    ['`!bitmap_size`', { size: 0n }],
    ['`bitmap_size > DIRTY_BITMAP_SIZE_MAX`', { size: 2n ** 28n + 8n }],
    ['`bitmap_size < DIRTY_BITMAP_BYTES(npages)`', { pgsize: 512n }],
  ])('GET_DIRTY_BITMAP: verify_bitmap_size: %s → EINVAL', (_n, bm) => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.unmapArg({ flags: GET_DIRTY }, bm);
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });
});

describe('VFIO_IOMMU_UNMAP_DMA: vfio_dma_do_unmap', () => {
  it('`invalidate_vaddr && !list_empty(&iommu->emulated_iommu_groups)` → EBUSY', () => {
    const b = type1Bed({ emulated: true });
    const arg = b.unmapArg({ flags: VFIO_DMA_UNMAP_FLAG_VADDR });
    b.refused('EBUSY', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it('`iova & (pgsize - 1)` → EINVAL', () => {
    const b = type1Bed();
    const arg = b.unmapArg({ iova: BigInt(MiB + 512) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it('ALL: `iova || size` → EINVAL', () => {
    const b = type1Bed();
    const arg = b.unmapArg({ flags: VFIO_DMA_UNMAP_FLAG_ALL, iova: 0n, size: BigInt(MiB) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it.each([
    ['`!size`', { size: 0n }],
    ['`size & (pgsize - 1)`', { size: BigInt(MiB + 512) }],
    ['`iova + size - 1 < iova`', { iova: U64_MAX - BigInt(PS) + 1n, size: BigInt(2 * PS) }],
  ])('%s → EINVAL', (_n, fields) => {
    const b = type1Bed();
    const arg = b.unmapArg(fields);
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it('GET_DIRTY_BITMAP: `bitmap->pgsize != pgsize` → EINVAL, even though tracking is on', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.unmapArg({ flags: GET_DIRTY }, { pgsize: BigInt(2 * PS) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it('v2: `dma = vfio_find_dma(iova, 1); dma->iova != iova` (the range starts inside a mapping) → EINVAL', () => {
    const b = type1Bed();
    const arg = b.unmapArg({ iova: BigInt(MiB / 2), size: BigInt(MiB) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it('v2: `dma = vfio_find_dma(iova + size - 1, 0); dma->iova + dma->size != iova + size` (ends inside) → EINVAL', () => {
    const b = type1Bed();
    const arg = b.unmapArg({ iova: 0n, size: BigInt(MiB + MiB / 2) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
  });

  it('v1: `!iommu->v2 && iova > dma->iova` — an unmap starting inside a mapping succeeds with size 0', () => {
    const b = type1Bed({ v2: false });
    const arg = b.unmapArg({ iova: BigInt(MiB / 2), size: BigInt(MiB) });
    expect(b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg)).toBe(0);
    expect(b.mm.readU64(arg + 16)).toBe(0n);
    expect(b.c.mappings).toHaveLength(2);
    // ... and one covering a mapping's first IOVA unmaps all of it, past the range's end.
    const first = b.unmapArg({ iova: BigInt(MiB), size: BigInt(PS) });
    b.ioctl(VFIO_IOMMU_UNMAP_DMA, first);
    expect(b.mm.readU64(first + 16)).toBe(BigInt(MiB));
    expect(b.c.mappings).toEqual([{ iova: 0, size: MiB }]);
  });

  it('VADDR: a mapping already invalidated → EINVAL, and the ones invalidated by this call are restored', () => {
    const b = type1Bed();
    b.c.unmapDma(b.mm, MiB, MiB, VFIO_DMA_UNMAP_FLAG_VADDR);
    const arg = b.unmapArg({ flags: VFIO_DMA_UNMAP_FLAG_VADDR, iova: 0n, size: BigInt(2 * MiB) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg), arg);
    // mapping 0 is valid again (only mapping 1 stays invalid): a VADDR map of 0 is refused.
    expect(errnoOf(() => b.c.updateVaddr(b.mm, b.va, 0, MiB))).toBe('EINVAL');
    b.c.updateVaddr(b.mm, b.va + MiB, MiB, MiB);
  });

  it('GET_DIRTY_BITMAP: update_user_bitmap faults → EFAULT; the mappings before it stay unmapped, size is not copied back', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.unmapArg({ flags: GET_DIRTY, iova: 0n, size: BigInt(2 * MiB) }, { data: UNMAPPED_VA });
    expect(errnoOf(() => b.ioctl(VFIO_IOMMU_UNMAP_DMA, arg))).toBe('EFAULT');
    expect(b.c.mappings).toHaveLength(2); // the first copy faulted: nothing unmapped
    expect(b.mm.readU64(arg + 16)).toBe(BigInt(2 * MiB)); // the user's size, unchanged
  });

  it('pinned pages: the devices are told (`vfio_notify_dma_unmap`) before the mapping goes', () => {
    const b = type1Bed({ emulated: true });
    b.c.pinPages(MiB, 2);
    b.c.unmapDma(b.mm, MiB, MiB);
    expect(b.unmapped).toEqual([[MiB, MiB]]);
    expect(b.c.mappings).toEqual([{ iova: 0, size: MiB }]);
  });

  it('v2 success: a range with no mapping → size 0; ALL → everything', () => {
    const b = type1Bed();
    const none = b.unmapArg({ iova: BigInt(8 * MiB), size: BigInt(MiB) });
    b.ioctl(VFIO_IOMMU_UNMAP_DMA, none);
    expect(b.mm.readU64(none + 16)).toBe(0n);
    const all = b.unmapArg({ flags: VFIO_DMA_UNMAP_FLAG_ALL, iova: 0n, size: 0n });
    b.ioctl(VFIO_IOMMU_UNMAP_DMA, all);
    expect(b.mm.readU64(all + 16)).toBe(BigInt(2 * MiB));
    expect(b.c.mappings).toEqual([]);
  });
});

describe('VFIO_IOMMU_DIRTY_PAGES: vfio_iommu_type1_dirty_pages', () => {
  const GET = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;

  it('`!iommu->v2` → EACCES, before the argument is read', () => {
    const b = type1Bed({ v2: false });
    b.refused('EACCES', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, 0x10));
  });

  it('copy_from_user(&dirty, arg, minsz) faults → EFAULT', () => {
    const b = type1Bed();
    b.refused('EFAULT', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, 0x10));
  });

  it('`dirty.argsz < minsz` (offsetofend(flags) = 8) → EINVAL', () => {
    const b = type1Bed();
    const arg = b.dirtyArg(VFIO_IOMMU_DIRTY_PAGES_FLAG_START, 7);
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
  });

  it('`dirty.flags & ~mask` → EINVAL', () => {
    const b = type1Bed();
    const arg = b.dirtyArg(VFIO_IOMMU_DIRTY_PAGES_FLAG_START | (1 << 3), 8);
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
  });

  it('`__ffs(dirty.flags) != __fls(dirty.flags)` (two flags) → EINVAL; no flag → EINVAL', () => {
    const b = type1Bed();
    const two = b.dirtyArg(VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, 8);
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, two), two);
    const none = b.dirtyArg(0, 8);
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, none), none);
  });

  it('START: vfio_dma_bitmap_alloc_all: a mapping of more than DIRTY_BITMAP_PAGES_MAX pages → EINVAL, tracking stays off', () => {
    const b = type1Bed({ emulated: true });
    b.c.mapDma(b.mm, 2 ** 40, 2 ** 40, 2 ** 43, RW); // 2^31 pages: no pinning without an IOMMU domain
    const arg = b.dirtyArg(VFIO_IOMMU_DIRTY_PAGES_FLAG_START, 8);
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
    expect(b.c.dirtyTracking).toBe(false);
  });

  it('START and STOP are idempotent', () => {
    const b = type1Bed();
    b.ioctl(VFIO_IOMMU_DIRTY_PAGES, b.dirtyArg(VFIO_IOMMU_DIRTY_PAGES_FLAG_START, 8));
    b.ioctl(VFIO_IOMMU_DIRTY_PAGES, b.dirtyArg(VFIO_IOMMU_DIRTY_PAGES_FLAG_START, 8));
    expect(b.c.dirtyTracking).toBe(true);
    b.ioctl(VFIO_IOMMU_DIRTY_PAGES, b.dirtyArg(VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, 8));
    b.ioctl(VFIO_IOMMU_DIRTY_PAGES, b.dirtyArg(VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, 8));
    expect(b.c.dirtyTracking).toBe(false);
  });

  it('GET_BITMAP: `!data_size || data_size < sizeof(range)` → EINVAL', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    for (const argsz of [8, 47]) {
      const arg = b.dirtyArg(GET, argsz);
      b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
    }
  });

  it('GET_BITMAP: copy_from_user(&range) faults → EFAULT', () => {
    const mm = new UserMemory(4096);
    const proc = new Process(mm);
    const c = new VfioIommuType1();
    c.dirtyPagesStart();
    mm.alloc(4096 - 8, 8);
    const arg = mm.alloc(8, 8);
    mm.writeU32(arg, 48);
    mm.writeU32(arg + 4, GET);
    expect(errnoOf(() => c.ioctl(proc, VFIO_IOMMU_DIRTY_PAGES, arg))).toBe('EFAULT');
  });

  it('GET_BITMAP: `range.iova + range.size < range.iova` → EINVAL', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.dirtyArg(GET, 48, { iova: U64_MAX - BigInt(PS) + 1n, size: BigInt(2 * PS) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
  });

  it('GET_BITMAP: `!access_ok(range.bitmap.data, range.bitmap.size)` → EINVAL', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.dirtyArg(GET, 48, { bitmap_data: KERNEL_VA });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
  });

  it.each([
    ['`!npages`', { bitmap_pgsize: BigInt(4 * MiB) }],
    ['`!bitmap_size`', { bitmap_size: 0n }],
    ['`bitmap_size > DIRTY_BITMAP_SIZE_MAX`', { bitmap_size: 2n ** 28n + 8n }],
    ['`bitmap_size < DIRTY_BITMAP_BYTES(npages)`', { bitmap_size: 56n }],
  ])('GET_BITMAP: verify_bitmap_size: %s → EINVAL', (_n, g) => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.dirtyArg(GET, 48, g);
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
  });

  it('GET_BITMAP: `range.bitmap.pgsize != iommu_pgsize` → EINVAL', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.dirtyArg(GET, 48, { bitmap_pgsize: BigInt(2 * PS), bitmap_size: 64n });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
  });

  it('GET_BITMAP: `range.iova & (iommu_pgsize - 1)` → EINVAL', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.dirtyArg(GET, 48, { iova: 512n });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
  });

  it('GET_BITMAP: `range.size & (iommu_pgsize - 1)` → EINVAL (`!range.size` is already caught by verify_bitmap_size)', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.dirtyArg(GET, 48, { size: BigInt(2 * MiB + 512) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
    const zero = b.dirtyArg(GET, 48, { size: 0n });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, zero), zero);
  });

  it('GET_BITMAP: `!iommu->dirty_page_tracking` → EINVAL', () => {
    const b = type1Bed();
    const arg = b.dirtyArg(GET);
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
  });

  it('GET_BITMAP: vfio_iova_dirty_bitmap: the range bisects a mapping (start, then end) → EINVAL', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const start = b.dirtyArg(GET, 48, { iova: BigInt(MiB / 2), size: BigInt(MiB) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, start), start);
    const end = b.dirtyArg(GET, 48, { iova: 0n, size: BigInt(MiB / 2) });
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, end), end);
  });

  it('GET_BITMAP: update_user_bitmap faults (user-half address, nothing mapped) → EFAULT', () => {
    const b = type1Bed();
    b.c.dirtyPagesStart();
    const arg = b.dirtyArg(GET, 48, { bitmap_data: UNMAPPED_VA });
    b.refused('EFAULT', () => b.ioctl(VFIO_IOMMU_DIRTY_PAGES, arg), arg);
  });
});

describe('VFIO_IOMMU_GET_INFO and the rest of vfio_iommu_type1_ioctl', () => {
  it('GET_INFO: copy_from_user(&info, arg, minsz) faults → EFAULT', () => {
    const b = type1Bed();
    b.refused('EFAULT', () => b.ioctl(VFIO_IOMMU_GET_INFO, 0x10));
  });

  it('GET_INFO: `info.argsz < minsz` (offsetofend(iova_pgsizes) = 16) → EINVAL, nothing written', () => {
    const b = type1Bed();
    const arg = b.mm.alloc(64, 8);
    b.mm.copyToUser(arg, new Uint8Array(64).fill(0x5a));
    b.mm.writeU32(arg, 15);
    b.refused('EINVAL', () => b.ioctl(VFIO_IOMMU_GET_INFO, arg), arg, 64);
  });

  it('an unknown ioctl → ENOTTY', () => {
    const b = type1Bed();
    b.refused('ENOTTY', () => b.ioctl(0x3b7f, 0));
  });
});

describe('vfio_pin_pages / vfio_dma_rw: vfio_iommu_type1_pin_pages, vfio_iommu_type1_dma_rw', () => {
  it('pin: `!iommu->v2` → EACCES', () => {
    const b = type1Bed({ v2: false, emulated: true });
    expect(errnoOf(() => b.c.pinPages(0, 1))).toBe('EACCES');
  });

  it('pin: `iommu->vaddr_invalid_count` → EBUSY', () => {
    const b = type1Bed();
    b.c.attachGroup({ name: 'dev', pinnedPageDirtyScope: false, dmaUnmap: () => {} });
    b.c.unmapDma(b.mm, 0, MiB, VFIO_DMA_UNMAP_FLAG_VADDR);
    expect(errnoOf(() => b.c.pinPages(MiB, 1))).toBe('EBUSY');
  });

  it('pin: `list_empty(&iommu->device_list)` (no device with dma_unmap) → EINVAL', () => {
    const b = type1Bed();
    expect(errnoOf(() => b.c.pinPages(0, 1))).toBe('EINVAL');
  });

  it('pin: `!vfio_find_dma(iova, PAGE_SIZE)` → EINVAL, and the pages pinned before it are not', () => {
    const b = type1Bed({ emulated: true });
    b.c.dirtyPagesStart();
    expect(errnoOf(() => b.c.pinPages(2 * MiB - PS, 2))).toBe('EINVAL');
    b.mm.copyToUser(b.bitmap, new Uint8Array(64));
    b.c.dirtyPagesGetBitmap(b.mm, 0, 2 * MiB, { pgsize: PS, size: 64, data: b.bitmap });
    expect(b.state().bitmap.every((x) => x === 0)).toBe(true);
  });

  it('pin: `(dma->prot & prot) != prot` → EPERM', () => {
    const b = type1Bed({ emulated: true });
    b.c.mapDma(b.mm, b.va + 2 * MiB, 4 * MiB, MiB, { read: true, write: false });
    expect(errnoOf(() => b.c.pinPages(4 * MiB, 1))).toBe('EPERM');
    b.c.pinPages(4 * MiB, 1, { read: true, write: false });
  });

  it('dma_rw: `vaddr_invalid_count` → EBUSY; `!dma` → EINVAL; `(write && !WRITE) || !READ` → EPERM', () => {
    const b = type1Bed();
    b.c.mapDma(b.mm, b.va + 2 * MiB, 4 * MiB, MiB, { read: true, write: false });
    b.c.mapDma(b.mm, b.va + 3 * MiB, 6 * MiB, MiB, { read: false, write: true });
    expect(errnoOf(() => b.c.dmaRw(8 * MiB, new Uint8Array(1), false))).toBe('EINVAL');
    expect(errnoOf(() => b.c.dmaRw(4 * MiB, new Uint8Array(1), true))).toBe('EPERM');
    expect(errnoOf(() => b.c.dmaRw(6 * MiB, new Uint8Array(1), true))).toBe('EPERM'); // write-only: refused too
    b.c.unmapDma(b.mm, 0, MiB, VFIO_DMA_UNMAP_FLAG_VADDR);
    expect(errnoOf(() => b.c.dmaRw(MiB, new Uint8Array(1), false))).toBe('EBUSY');
  });
});

describe('groups: vfio_iommu_type1_attach_group / detach_group', () => {
  it('attach: the group already attached → EINVAL', () => {
    const b = type1Bed();
    expect(errnoOf(() => b.c.attachGroup(b.group))).toBe('EINVAL');
  });

  it('attach: a mapping outside the new domain aperture (`vfio_iommu_aper_conflict`) → EINVAL, not attached', () => {
    const b = type1Bed();
    const narrow = {
      name: 'narrow',
      pinnedPageDirtyScope: false,
      aperture: { start: MiB, last: 2 ** 32 - 1 },
    };
    expect(errnoOf(() => b.c.attachGroup(narrow))).toBe('EINVAL');
    expect(b.c.iovaRanges()).toEqual([{ start: 0, last: 2 ** 48 - 1 }]);
  });

  it('detach of a non-pinned group while tracking marks everything dirty; the last group takes every mapping', () => {
    const b = type1Bed({ emulated: true });
    const vf = { name: 'vf', pinnedPageDirtyScope: false };
    b.c.attachGroup(vf);
    b.c.dirtyPagesStart();
    b.c.detachGroup(vf);
    b.mm.copyToUser(b.bitmap, new Uint8Array(64));
    b.c.dirtyPagesGetBitmap(b.mm, 0, 2 * MiB, { pgsize: PS, size: 64, data: b.bitmap });
    expect(b.state().bitmap.every((x) => x === 0xff)).toBe(true);
    b.c.detachGroup(b.group);
    expect(b.c.mappings).toEqual([]);
  });
});
