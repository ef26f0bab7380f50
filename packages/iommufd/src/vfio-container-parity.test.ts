/**
 * One type1 test sequence, run against the legacy VFIO container with vfio_iommu_type1
 * (drivers/vfio/container.c + vfio_iommu_type1.c) and against iommufd's VFIO compatibility container
 * (drivers/iommu/iommufd/vfio_compat.c) — the same ioctls on a file descriptor, a physical device
 * (AMD v1 IOMMU) in the container. Where the answers differ, `why` cites the code that makes them
 * differ.
 */
import { errnoOf, GuestMemory, Process, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { decodeType1Info } from './__fixtures__/info-chain.js';
import { IommuDevice, IommuHw } from './iommu-hw.js';
import { openIommufd } from './iommufd-ctx.js';
import { openVfioContainer } from './vfio-container.js';
import {
  VFIO_CHECK_EXTENSION,
  VFIO_DMA_CC_IOMMU,
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_VADDR,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
  VFIO_GET_API_VERSION,
  VFIO_IOMMU_DIRTY_PAGES,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_UNMAP_DMA,
  VFIO_SET_IOMMU,
  VFIO_TYPE1_IOMMU,
  VFIO_TYPE1v2_IOMMU,
  VFIO_UNMAP_ALL,
  VFIO_UPDATE_VADDR,
  vfio_bitmap,
  vfio_iommu_type1_dirty_bitmap,
  vfio_iommu_type1_dma_map,
  vfio_iommu_type1_dma_unmap,
} from './vfio-type1-uapi.js';

const MiB = 1 << 20;
const PS = 4096;
type Kind = 'type1' | 'iommufd';
const KINDS: readonly Kind[] = ['type1', 'iommufd'];

/**
 * A VMM process with 8 MiB of RAM mapped, and a container fd of `kind` holding one physical device:
 * for type1 its group is set on a legacy container; for iommufd the group's attach creates the
 * compatibility IOAS and attaches the device to it (`iommufd_vfio_compat_ioas_create`). Nothing is
 * set with VFIO_SET_IOMMU yet.
 */
function container(kind: Kind) {
  const mm = new UserMemory();
  const proc = new Process(mm);
  const ram = mm.mmap(new GuestMemory(8 * MiB));
  let fd: number;
  if (kind === 'type1') {
    const file = openVfioContainer();
    file.privateData.addGroup({ name: 'vf0', pinnedPageDirtyScope: false });
    fd = proc.install(file);
  } else {
    const file = openIommufd();
    const ctx = file.privateData;
    const ioas = ctx.vfioCompatIoasCreate();
    ctx.attachDevice(ctx.bindDevice(new IommuDevice(new IommuHw({ format: 'amd-v1' }), 'vf0')), ioas);
    fd = proc.install(file);
  }
  const ioctl = (cmd: number, arg: number) => proc.ioctl(fd, cmd, arg);
  /** The return value, or the errno name. */
  const run = (cmd: number, arg: number): number | string => {
    let ret = 0;
    const e = errnoOf(() => {
      ret = ioctl(cmd, arg);
    });
    return e ?? ret;
  };
  const map = (iova: number, size: number, flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) =>
    run(
      VFIO_IOMMU_MAP_DMA,
      mm.pushStruct(vfio_iommu_type1_dma_map, {
        argsz: 32,
        flags,
        vaddr: BigInt(ram + iova),
        iova: BigInt(iova),
        size: BigInt(size),
      }),
    );
  /** UNMAP_DMA: `[result, size field afterwards]`. */
  const unmap = (iova: number, size: number, flags = 0, withBitmap = false): [number | string, bigint] => {
    const at = mm.alloc(48, 8);
    mm.copyToUser(
      at,
      vfio_iommu_type1_dma_unmap.encode({
        argsz: withBitmap ? 48 : 24,
        flags,
        iova: BigInt(iova),
        size: BigInt(size),
      }),
    );
    if (withBitmap) {
      const data = mm.alloc(64, 8);
      mm.copyToUser(at + 24, vfio_bitmap.encode({ pgsize: BigInt(PS), size: 64n, data: BigInt(data) }));
    }
    return [run(VFIO_IOMMU_UNMAP_DMA, at), mm.readU64(at + 16)];
  };
  const getInfo = () => {
    const at = mm.alloc(256, 8);
    mm.writeU32(at, 256);
    ioctl(VFIO_IOMMU_GET_INFO, at);
    return decodeType1Info(mm, at);
  };
  return { mm, proc, ram, ioctl, run, map, unmap, getInfo };
}

/** Both containers after VFIO_SET_IOMMU(`type`) with 2 MiB mapped at IOVA 0. */
function prepared(kind: Kind, type = VFIO_TYPE1v2_IOMMU) {
  const c = container(kind);
  expect(c.run(VFIO_SET_IOMMU, type)).toBe(0);
  expect(c.map(0, 2 * MiB)).toBe(0);
  return c;
}

/** Run `step` on both kinds and compare with the expected answers. */
function both<T>(step: (kind: Kind) => T, expected: Record<Kind, NoInfer<T>>): void {
  for (const kind of KINDS) expect(step(kind), kind).toEqual(expected[kind]);
}

describe('the same type1 sequence on the legacy container and on iommufd', () => {
  it('VFIO_GET_API_VERSION: VFIO_API_VERSION (0) on both', () => {
    both((k) => container(k).run(VFIO_GET_API_VERSION, 0), { type1: 0, iommufd: 0 });
  });

  it('CHECK_EXTENSION before SET_IOMMU: TYPE1, TYPE1v2, UNMAP_ALL → 1 on both; DMA_CC_IOMMU differs', () => {
    for (const ext of [VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_UNMAP_ALL]) {
      both((k) => container(k).run(VFIO_CHECK_EXTENSION, ext), { type1: 1, iommufd: 1 });
    }
    // why: type1's check_extension with no iommu (container not set) answers 0 for DMA_CC_IOMMU;
    // iommufd asks the compatibility IOAS, which exists as soon as a group is attached.
    both((k) => container(k).run(VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), { type1: 0, iommufd: 1 });
  });

  it('CHECK_EXTENSION(VFIO_UPDATE_VADDR) after SET_IOMMU differs', () => {
    // why: type1 supports the VADDR live update when no emulated (mdev) group is present;
    // iommufd_vfio_check_extension: "It is hard to see how this could be implemented safely" → 0.
    both((k) => prepared(k).run(VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), { type1: 1, iommufd: 0 });
  });

  it('SET_IOMMU: TYPE1v2 → 0 on both; a second SET_IOMMU and an unknown type differ', () => {
    // why: container.c refuses SET_IOMMU on a set container (EINVAL); iommufd_vfio_set_iommu keeps no
    // "set" state and just succeeds again.
    both((k) => prepared(k).run(VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), { type1: 'EINVAL', iommufd: 0 });
    // why: container.c finds no driver answering the type (ENODEV); iommufd refuses any type but
    // TYPE1 / TYPE1v2 itself (EINVAL).
    both((k) => container(k).run(VFIO_SET_IOMMU, 42), { type1: 'ENODEV', iommufd: 'EINVAL' });
  });

  it('GET_INFO: both report PGSIZES | CAPS and the 48-bit aperture; the capabilities differ', () => {
    const t = prepared('type1').getInfo();
    const i = prepared('iommufd').getInfo();
    expect(t.iova_pgsizes).toBe(i.iova_pgsizes); // 4 KiB | 2 MiB | 1 GiB on both
    expect(t.caps.find((c) => c.id === 1)).toMatchObject({ ranges: [{ start: 0n, end: 2n ** 48n - 1n }] });
    expect(i.caps.find((c) => c.id === 1)).toMatchObject({ ranges: [{ start: 0n, end: 2n ** 48n - 1n }] });
    // why: type1 adds the migration capability (its dirty tracking) and counts mappings against
    // dma_entry_limit; iommufd has no VFIO dirty tracking and reports U32_MAX ("iommufd's limit is
    // based on the cgroup's memory limit").
    expect(t.caps.map((c) => c.id)).toEqual([2, 3, 1]);
    expect(i.caps.map((c) => c.id)).toEqual([3, 1]);
    expect(t.caps.find((c) => c.id === 3)).toMatchObject({ avail: 65535 - 1 });
    expect(i.caps.find((c) => c.id === 3)).toMatchObject({ avail: 0xffffffff });
  });

  it('MAP_DMA: an overlap → EEXIST, size 0 or an unaligned IOVA → EINVAL on both', () => {
    both((k) => prepared(k).map(MiB, MiB), { type1: 'EEXIST', iommufd: 'EEXIST' });
    both((k) => prepared(k).map(4 * MiB, 0), { type1: 'EINVAL', iommufd: 'EINVAL' });
    both((k) => prepared(k).map(4 * MiB + 512, PS), { type1: 'EINVAL', iommufd: 'EINVAL' });
  });

  it('MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR alone, where nothing is mapped, differs', () => {
    // why: type1 implements the VADDR update and finds no mapping to update (ENOENT); iommufd does not
    // support the flag (`map.flags & ~supported_flags` → EINVAL).
    both((k) => prepared(k).map(4 * MiB, MiB, VFIO_DMA_MAP_FLAG_VADDR), {
      type1: 'ENOENT',
      iommufd: 'EINVAL',
    });
  });

  it('UNMAP_DMA of a range holding nothing: success, size 0, on both', () => {
    both((k) => prepared(k).unmap(4 * MiB, MiB), { type1: [0, 0n], iommufd: [0, 0n] });
  });

  it('UNMAP_DMA that bisects a mapping (TYPE1v2) differs in errno and in what lands in `size`', () => {
    // why: vfio_dma_do_unmap's v2 bisect check returns EINVAL and the wrapper copies nothing back (the
    // user's size stays); iopt_unmap_iova_range returns ENOENT for an area the range cuts, and
    // iommufd_vfio_unmap_dma copies the unmapped size (0) back before returning the error.
    both((k) => prepared(k).unmap(0, MiB), { type1: ['EINVAL', BigInt(MiB)], iommufd: ['ENOENT', 0n] });
  });

  it('TYPE1 (v1) UNMAP_DMA inside a mapping differs: type1 unmaps nothing, iommufd cuts exactly', () => {
    // why: v1 type1 stops at a mapping that starts before the range ("unmap request offset from the
    // beginning of the original mapping will return success with zero sized unmap"); iommufd emulates
    // TYPE1 by disabling large pages and cutting the area at the range's ends (iopt_cut_iova).
    both((k) => prepared(k, VFIO_TYPE1_IOMMU).unmap(MiB, MiB), { type1: [0, 0n], iommufd: [0, BigInt(MiB)] });
  });

  it('VFIO_IOMMU_DIRTY_PAGES START differs', () => {
    // why: type1 implements the legacy dirty tracking; iommufd_vfio_ioctl has no case for it
    // (-ENOIOCTLCMD → ENOTTY): use IOMMU_HWPT_SET_DIRTY_TRACKING / GET_DIRTY_BITMAP instead.
    both(
      (k) => {
        const c = prepared(k);
        const d = c.mm.pushStruct(vfio_iommu_type1_dirty_bitmap, {
          argsz: 8,
          flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
        });
        return c.run(VFIO_IOMMU_DIRTY_PAGES, d);
      },
      { type1: 0, iommufd: 'ENOTTY' },
    );
  });

  it('UNMAP_DMA with GET_DIRTY_BITMAP: EINVAL on both before tracking; after START type1 unmaps and reports', () => {
    // Both refuse before tracking, for different reasons: type1 because dirty_page_tracking is off
    // (vfio_dma_do_unmap), iommufd because only VFIO_DMA_UNMAP_FLAG_ALL is a supported flag.
    both((k) => prepared(k).unmap(0, 2 * MiB, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, true), {
      type1: ['EINVAL', BigInt(2 * MiB)],
      iommufd: ['EINVAL', BigInt(2 * MiB)],
    });
    const t = prepared('type1');
    const d = t.mm.pushStruct(vfio_iommu_type1_dirty_bitmap, {
      argsz: 8,
      flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
    });
    t.ioctl(VFIO_IOMMU_DIRTY_PAGES, d);
    expect(t.unmap(0, 2 * MiB, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, true)).toEqual([0, BigInt(2 * MiB)]);
  });

  it('UNMAP_DMA ALL: everything, size = bytes unmapped, on both', () => {
    both((k) => prepared(k).unmap(0, 0, VFIO_DMA_UNMAP_FLAG_ALL), {
      type1: [0, BigInt(2 * MiB)],
      iommufd: [0, BigInt(2 * MiB)],
    });
  });
});
