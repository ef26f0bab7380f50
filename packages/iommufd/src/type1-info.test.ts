import { describe, expect, it } from 'vitest';
import { decodeType1Info, infoBuffer } from './__fixtures__/info-chain.js';
import { MiB, PS, RW, type1Bed } from './__fixtures__/type1-bed.js';
import { VFIO_IOMMU_GET_INFO_MINSZ } from './type1-info.js';
import { VfioInfoCap, vfio_info_cap_header } from './vfio-info-cap.js';
import { DIRTY_BITMAP_SIZE_MAX } from './vfio-iommu-type1.js';
import {
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
  VFIO_IOMMU_MAP_DMA,
  vfio_iommu_type1_info,
  vfio_iommu_type1_info_cap_iova_range,
  vfio_iommu_type1_info_cap_migration,
  vfio_iommu_type1_info_dma_avail,
  vfio_iova_range,
} from './vfio-type1-uapi.js';

const FULL = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
/** The type1 chain of a container with an IOMMU-backed group: migration 32 + DMA avail 12→16 + IOVA 16+16. */
const TYPE1_CHAIN = 32 + 16 + 32;

describe('include/uapi/linux/vfio.h: the GET_INFO structs as the C compiler lays them out', () => {
  it('vfio_iommu_type1_info: 24 bytes, minsz = offsetofend(iova_pgsizes) = 16, cap_offset at 16', () => {
    expect(vfio_iommu_type1_info.size).toBe(24);
    expect(VFIO_IOMMU_GET_INFO_MINSZ).toBe(16);
    expect(vfio_iommu_type1_info.offsetOf('cap_offset')).toBe(16);
  });

  it('capabilities: header 8; IOVA range 16 + 16 per range; migration 32 (pgsize_bitmap at 16); DMA avail 12', () => {
    expect(vfio_info_cap_header.size).toBe(8);
    expect(vfio_iommu_type1_info_cap_iova_range.size).toBe(16);
    expect(vfio_iova_range.size).toBe(16);
    expect(vfio_iommu_type1_info_cap_migration.size).toBe(32);
    expect(vfio_iommu_type1_info_cap_migration.offsetOf('pgsize_bitmap')).toBe(16);
    expect(vfio_iommu_type1_info_cap_migration.offsetOf('max_dirty_bitmap_size')).toBe(24);
    expect(vfio_iommu_type1_info_dma_avail.size).toBe(12);
  });

  it('vfio_info_cap_add: every capability takes a multiple of 8 (a 12-byte one takes 16), next counts from the buffer', () => {
    const caps = new VfioInfoCap();
    caps.add(3, 1, new Uint8Array(12));
    caps.add(1, 1, new Uint8Array(16));
    expect(caps.size).toBe(32);
    const bytes = caps.bytes(24);
    expect(vfio_info_cap_header.decode(bytes, 0)).toEqual({ id: 3, version: 1, next: 24 + 16 });
    expect(vfio_info_cap_header.decode(bytes, 16)).toEqual({ id: 1, version: 1, next: 0 });
  });
});

describe('VFIO_IOMMU_GET_INFO on type1 (vfio_iommu_type1_get_info)', () => {
  it('argsz covers the chain: flags, pgsizes, cap_offset 24, migration → DMA avail → IOVA ranges', () => {
    const b = type1Bed();
    const arg = infoBuffer(b.mm, 24 + TYPE1_CHAIN);
    b.ioctl(VFIO_IOMMU_GET_INFO, arg);
    const info = decodeType1Info(b.mm, arg);
    expect(info.argsz).toBe(24 + TYPE1_CHAIN);
    expect(info.flags).toBe(FULL);
    expect(info.iova_pgsizes).toBe(BigInt(2 ** 12 + 2 ** 21 + 2 ** 30));
    expect(info.cap_offset).toBe(24);
    expect(info.caps).toEqual([
      {
        id: 2,
        at: 24,
        version: 1,
        flags: 0,
        pgsizeBitmap: BigInt(PS),
        maxDirtyBitmapSize: BigInt(DIRTY_BITMAP_SIZE_MAX),
      },
      { id: 3, at: 56, version: 1, avail: 65535 - 2 },
      { id: 1, at: 72, version: 1, ranges: [{ start: 0n, end: 2n ** 48n - 1n }] },
    ]);
  });

  it('argsz one byte short of the chain: only the fixed part, argsz raised to what is needed, cap_offset 0, nothing else written', () => {
    const b = type1Bed();
    const arg = infoBuffer(b.mm, 24 + TYPE1_CHAIN - 1);
    b.ioctl(VFIO_IOMMU_GET_INFO, arg);
    const info = b.mm.readStruct(vfio_iommu_type1_info, arg);
    expect(info).toMatchObject({ argsz: 24 + TYPE1_CHAIN, flags: FULL, cap_offset: 0 });
    expect([...b.mm.copyFromUser(arg + 24, TYPE1_CHAIN)].every((x) => x === 0xaa)).toBe(true);
  });

  it('argsz 16 (a caller from before the chain): 16 bytes back — argsz says what the chain needs, cap_offset and beyond untouched', () => {
    const b = type1Bed();
    const arg = infoBuffer(b.mm, 16);
    b.ioctl(VFIO_IOMMU_GET_INFO, arg);
    expect(b.mm.readU32(arg)).toBe(24 + TYPE1_CHAIN);
    expect(b.mm.readU32(arg + 4)).toBe(FULL);
    expect(b.mm.readU64(arg + 8)).toBe(BigInt(2 ** 12 + 2 ** 21 + 2 ** 30));
    expect([...b.mm.copyFromUser(arg + 16, 64)].every((x) => x === 0xaa)).toBe(true);
  });

  it('emulated groups only: PAGE_MASK page sizes, no IOVA range capability, DMA avail counts down with MAP_DMA', () => {
    const b = type1Bed({ emulated: true });
    b.ioctl(VFIO_IOMMU_MAP_DMA, b.mapArg());
    const arg = infoBuffer(b.mm, 24 + 48);
    b.ioctl(VFIO_IOMMU_GET_INFO, arg);
    const info = decodeType1Info(b.mm, arg);
    expect(info.iova_pgsizes).toBe((1n << 64n) - BigInt(PS));
    expect(info.caps.map((c) => c.id)).toEqual([2, 3]);
    expect(info.caps[1]).toMatchObject({ avail: 65535 - 3 });
  });

  it('vfio_update_pgsize_bitmap: a domain with sub-page sizes reports PAGE_SIZE instead; a 64 KiB IOMMU makes 64 KiB the unit', () => {
    const b = type1Bed({ emulated: true });
    b.c.attachGroup({ name: 'mock', pinnedPageDirtyScope: false, pgsizeBitmap: 2048 + 2 ** 20 });
    expect(b.c.pgsizeBitmap).toBe(BigInt(4096 + 2 ** 20));
    expect(b.c.pgsize).toBe(4096);
    const c = type1Bed({ emulated: true });
    c.c.attachGroup({ name: 'arm64k', pinnedPageDirtyScope: false, pgsizeBitmap: 2 ** 16 + 2 ** 29 });
    expect(c.c.pgsize).toBe(2 ** 16);
    const arg = infoBuffer(c.mm, 24 + TYPE1_CHAIN);
    c.ioctl(VFIO_IOMMU_GET_INFO, arg);
    expect(decodeType1Info(c.mm, arg).caps[0]).toMatchObject({ id: 2, pgsizeBitmap: 2n ** 16n });
    expect(() => c.c.mapDma(c.mm, c.va + 2 * MiB, 4 * MiB, PS, RW)).toThrow(/EINVAL/);
  });
});
