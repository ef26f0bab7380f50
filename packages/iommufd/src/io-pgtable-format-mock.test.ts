import { errnoOf, PAGE_SIZE, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { iommufdBed } from './__fixtures__/iommufd-bed.js';
import { IO_PGTABLE_PGSIZE_BITMAP, IoPgtable, newIoPtWalk } from './io-pgtable.js';
import { AMD_PTE_HD, AMD_V1 } from './io-pgtable-format.js';
import { IOMMUFD_MOCK } from './io-pgtable-format-mock.js';
import { IommuDomain } from './iommu-domain.js';
import { IommuDevice, IommuHw } from './iommu-hw.js';
import {
  MOCK_APERTURE_LAST,
  MOCK_APERTURE_START,
  MOCK_HUGE_PAGE_SIZE,
  MOCK_IOMMUPT_DEFAULT,
  MOCK_IOMMUPT_HUGE,
  MOCK_PAGE_SIZE,
  mockDevCreate,
} from './iommufd-selftest.js';
import { IovaBitmap } from './iova-bitmap.js';
import * as u from './uapi.js';

const MiB = 1 << 20;
const RW = { read: true, write: true };

describe('the selftest mock format (generic_pt fmt/iommu_mock.c: AMD v1, PT_GRANULE_LG2SZ 11, starting_level 2)', () => {
  it('geometry: 2 KiB, 1 MiB and 512 MiB entries; 38-bit IOVA; pgsize_bitmap = every level', () => {
    const pt = new IoPgtable(IOMMUFD_MOCK, false);
    expect(pt.granule).toBe(MOCK_PAGE_SIZE);
    expect(pt.levelSize).toEqual([2048, MOCK_HUGE_PAGE_SIZE, 512 * MiB]);
    expect(pt.iovaLimit).toBe(2 ** 38);
    expect(pt.pgsizeBitmap).toBe(2048 + MiB + 512 * MiB);
  });

  it('maps 2 KiB leaves at odd 2 KiB output addresses: the OA field holds oa >> 11 (bits 51:12)', () => {
    const pt = new IoPgtable(IOMMUFD_MOCK, false);
    pt.map(MOCK_APERTURE_START + 2048, 0x1234_5800, 2048, RW, 2048);
    const w = newIoPtWalk();
    expect(pt.walk(MOCK_APERTURE_START + 2048 + 5, w)).toBe(true);
    expect({ pa: w.pa, leafSize: w.leafSize, level: w.level }).toEqual({
      pa: 0x1234_5805,
      leafSize: 2048,
      level: 0,
    });
    // (0x12345800 >> 11) << 12 = 0x2468b000: bit 11 of the address lands in bit 12 of the entry.
    expect(pt.entry(w.table, w.index).lo & 0xfffff000).toBe(0x2468b000);
  });

  it('uses 1 MiB leaves where alignment allows, granule leaves elsewhere; no force-coherent bit (PT_SUPPORTED_FEATURES 0)', () => {
    const pt = new IoPgtable(IOMMUFD_MOCK, false);
    pt.map(MOCK_APERTURE_START - 2048, 0x4000_0000 - 2048, MiB + 4096, RW);
    const sizes = pt.leaves().map((l) => l.size);
    expect(sizes).toEqual([2048, MiB, 2048]);
    const w = newIoPtWalk();
    pt.walk(MOCK_APERTURE_START, w);
    expect(pt.entry(w.table, w.index).hi & (1 << (60 - 32))).toBe(0);
    const amd = new IoPgtable(AMD_V1, false);
    amd.map(0, 0, 4096, RW);
    amd.walk(0, w);
    expect(amd.entry(w.table, w.index).hi & (1 << (60 - 32))).not.toBe(0);
  });

  it('refuses what the table cannot hold: unaligned to 2 KiB, past 2^38 → EINVAL; overlap → EEXIST', () => {
    const pt = new IoPgtable(IOMMUFD_MOCK, false);
    expect(errnoOf(() => pt.map(1024, 0, 2048, RW))).toBe('EINVAL');
    expect(errnoOf(() => pt.map(2 ** 38 - 2048, 0, 4096, RW))).toBe('EINVAL');
    pt.map(0, 0, 4096, RW);
    expect(errnoOf(() => pt.map(2048, 8192, 2048, RW))).toBe('EEXIST');
    expect(pt.leaves()).toHaveLength(2);
  });

  it('read-and-clear reports whole leaves into a 2 KiB bitmap; the AMD D bit (6) is the dirty bit', () => {
    const pt = new IoPgtable(IOMMUFD_MOCK, true);
    pt.map(0, 0, 64 * 2048, RW, 2048);
    pt.map(MiB, MiB, MiB, RW);
    const w = newIoPtWalk();
    for (const iova of [2048 * 3, 2048 * 40, MiB + 5]) {
      pt.walk(iova, w);
      pt.markDirty(w.pte);
    }
    pt.walk(2048 * 3, w);
    expect(pt.entry(w.table, w.index).lo & AMD_PTE_HD).toBe(AMD_PTE_HD);
    const mm = new UserMemory();
    const data = mm.alloc((2 * MiB) / 2048 / 8, 8);
    const bm = new IovaBitmap(mm, 0, 2 * MiB, 2048, data);
    expect(pt.readAndClearDirty(0, 2 * MiB, false, bm, null)).toBe(3);
    bm.flush();
    expect(mm.readU64(data)).toBe((1n << 3n) | (1n << 40n));
    expect([...mm.copyFromUser(data + 64, 64)].every((b) => b === 0xff)).toBe(true); // the dirty 1 MiB leaf: 512 bits
    expect(pt.leaves().every((l) => !l.dirty)).toBe(true);
  });
});

describe('mock domains and devices (selftest.c mock_domain_alloc_pgtable, mock_dev_create)', () => {
  it('MOCK_IOMMUPT_DEFAULT: aperture [MOCK_APERTURE_START, MOCK_APERTURE_LAST], IOMMU page 2 KiB', () => {
    const dev = mockDevCreate();
    const d = IommuDomain.alloc(dev.hw);
    expect(d.aperture).toEqual({ start: MOCK_APERTURE_START, last: MOCK_APERTURE_LAST });
    expect(d.minPageSize).toBe(MOCK_PAGE_SIZE);
  });

  it('an IOAS with a DEFAULT mock domain: IOVA ranges = the aperture, alignment 2 KiB (4 KiB with HUGE_PAGES off), maps outside → EINVAL', () => {
    const b = iommufdBed({ format: 'iommufd-mock' });
    const ioas = b.client.ioasAlloc();
    const mock = b.ctx.bindDevice(mockDevCreate());
    b.ctx.attachDevice(mock, ioas);
    const r = b.client.ioasIovaRanges(ioas);
    expect(r.ranges).toEqual([{ start: BigInt(MOCK_APERTURE_START), last: BigInt(MOCK_APERTURE_LAST) }]);
    expect(r.alignment).toBe(MOCK_PAGE_SIZE);
    expect(errnoOf(() => b.client.ioasMap(ioas, b.ramVa, MiB, { iova: 0 }))).toBe('EINVAL');
    expect(errnoOf(() => b.client.ioasMap(ioas, b.ramVa, MiB, { iova: MOCK_APERTURE_LAST + 1 - 4096 }))).toBe(
      'EINVAL',
    );
    expect(b.ctx.ioas(ioas).mappings).toEqual([]);
    b.client.setHugePages(ioas, false);
    expect(b.client.ioasIovaRanges(ioas).alignment).toBe(PAGE_SIZE);
    // An automatic IOVA lands inside the aperture.
    expect(b.client.ioasMap(ioas, b.ramVa, MiB)).toBeGreaterThanOrEqual(MOCK_APERTURE_START);
  });

  it("MOCK_IOMMUPT_HUGE: pgsize_bitmap MOCK_HUGE_PAGE_SIZE | PAGE_SIZE and the table's whole aperture", () => {
    const b = iommufdBed();
    const ioas = b.client.ioasAlloc();
    const idev = b.ctx.bindDevice(mockDevCreate());
    const huge = b.client.hwptAllocIommupt(idev, ioas, 0, MOCK_IOMMUPT_HUGE);
    const dflt = b.client.hwptAllocIommupt(idev, b.client.ioasAlloc(), 0, MOCK_IOMMUPT_DEFAULT);
    expect(b.ctx.hwpt(huge).domain.pgsizeBitmap).toBe(MOCK_HUGE_PAGE_SIZE + PAGE_SIZE);
    expect(b.ctx.hwpt(huge).domain.aperture).toEqual({ start: 0, last: 2 ** 38 - 1 });
    expect(b.ctx.hwpt(dflt).domain.aperture).toEqual({
      start: MOCK_APERTURE_START,
      last: MOCK_APERTURE_LAST,
    });
    expect(b.client.ioasIovaRanges(ioas).alignment).toBe(PAGE_SIZE);
  });

  it('MOCK_FLAGS_DEVICE_NO_DIRTY: no IOMMU_HW_CAP_DIRTY_TRACKING; the selftest hw info (test_reg 0xdeadbeef)', () => {
    const b = iommufdBed();
    const plain = b.ctx.bindDevice(mockDevCreate());
    const noDirty = b.ctx.bindDevice(mockDevCreate(1));
    expect(b.client.getHwInfo(plain).capabilities).toBe(BigInt(u.IOMMU_HW_CAP_DIRTY_TRACKING));
    expect(b.client.getHwInfo(noDirty).capabilities).toBe(0n);
    const va = b.mm.alloc(48, 8);
    const data = b.mm.alloc(8, 8);
    b.mm.copyToUser(
      va,
      u.iommu_hw_info.encode({
        size: 40,
        flags: 0,
        dev_id: plain,
        data_len: 8,
        data_uptr: BigInt(data),
        out_data_type: 0,
        out_max_pasid_log2: 0,
        __reserved: [0, 0, 0],
        out_capabilities: 0n,
      }),
    );
    b.proc.ioctl(b.fd, u.IOMMU_GET_HW_INFO, va);
    expect(b.mm.readU32(data + 4)).toBe(0xdeadbeef);
  });

  it('a DMA write of a mock device through a dirty-tracking mock domain dirties exactly one 2 KiB leaf', () => {
    const b = iommufdBed({ ramSize: 4 * MiB });
    const ioas = b.client.ioasAlloc();
    const dev = mockDevCreate();
    const idev = b.ctx.bindDevice(dev);
    b.client.setHugePages(ioas, false);
    b.client.ioasMap(ioas, b.ramVa, MiB, { iova: MOCK_APERTURE_START });
    const hwpt = b.client.hwptAlloc(idev, ioas, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    b.ctx.attachDevice(idev, hwpt);
    b.client.setDirtyTracking(hwpt, true);
    dev.dmaPort.writeU32(MOCK_APERTURE_START + 2048 * 5 + 100, 0xfeed);
    expect(b.guest.readU32(2048 * 5 + 100)).toBe(0xfeed);
    const bits = b.mm.alloc(64, 8);
    b.client.getDirtyBitmap(hwpt, MOCK_APERTURE_START, MiB, MOCK_PAGE_SIZE, bits);
    expect(b.mm.readU64(bits)).toBe(1n << 5n);
  });
});

describe('IommuDevice: a per-device IOMMU page-size bitmap', () => {
  it('domains allocated for the device take it: a VT-d device with 4 KiB pages only maps no huge leaves', () => {
    const b = iommufdBed({ format: 'vtd-ss', ramSize: 8 * MiB });
    const ioas = b.client.ioasAlloc();
    const small = new IommuDevice(new IommuHw({ format: 'vtd-ss' }), 'small', { pgsizeBitmap: 4096 });
    const idev = b.ctx.bindDevice(small);
    b.client.ioasMap(ioas, b.ramVa, 4 * MiB, { iova: 0 });
    const hwpt = b.client.hwptAlloc(idev, ioas, 0);
    expect(b.ctx.hwpt(hwpt).domain.pgsizeBitmap).toBe(4096);
    expect(
      new Set(
        b.ctx
          .hwpt(hwpt)
          .domain.pgtable.leaves()
          .map((l) => l.size),
      ),
    ).toEqual(new Set([4096]));
    // The default device's automatic domain on the same IOAS still uses 2 MiB leaves.
    b.ctx.attachDevice(b.devId, ioas);
    const auto = b.ctx.objectIds().find((o) => o.type === 'hwpt_paging' && o.id !== hwpt)!;
    expect(b.ctx.hwpt(auto.id).domain.pgsizeBitmap).toBe(IO_PGTABLE_PGSIZE_BITMAP);
    expect(
      new Set(
        b.ctx
          .hwpt(auto.id)
          .domain.pgtable.leaves()
          .map((l) => l.size),
      ),
    ).toEqual(new Set([2 * MiB]));
  });

  it('a bitmap with a page below the format granule (or none) → EINVAL', () => {
    const hw = new IommuHw({ format: 'amd-v1' });
    expect(errnoOf(() => new IommuDevice(hw, 'x', { pgsizeBitmap: 2048 }))).toBe('EINVAL');
    expect(errnoOf(() => new IommuDevice(hw, 'x', { pgsizeBitmap: 0 }))).toBe('EINVAL');
    expect(
      errnoOf(() => new IommuDevice(new IommuHw({ format: 'iommufd-mock' }), 'm', { pgsizeBitmap: 2048 })),
    ).toBeUndefined();
  });

  it('IommuDomain.alloc: a pgsize_bitmap below the granule or an aperture outside the table → EINVAL', () => {
    const hw = new IommuHw({ format: 'iommufd-mock' });
    expect(errnoOf(() => IommuDomain.alloc(hw, { pgsizeBitmap: 1024 }))).toBe('EINVAL');
    expect(errnoOf(() => IommuDomain.alloc(hw, { aperture: { start: 0, last: 2 ** 38 } }))).toBe('EINVAL');
    expect(errnoOf(() => IommuDomain.alloc(hw, { aperture: { start: 8192, last: 4095 } }))).toBe('EINVAL');
    expect(IommuDomain.alloc(hw, { pgsizeBitmap: 2048 }).minPageSize).toBe(2048);
  });

  it('a 64 KiB-page device raises the IOAS alignment to 64 KiB', () => {
    const b = iommufdBed();
    const ioas = b.client.ioasAlloc();
    const big = b.ctx.bindDevice(
      new IommuDevice(new IommuHw({ format: 'amd-v1' }), 'big', { pgsizeBitmap: 2 ** 16 }),
    );
    b.ctx.attachDevice(big, ioas);
    expect(b.client.ioasIovaRanges(ioas).alignment).toBe(2 ** 16);
    expect(errnoOf(() => b.client.ioasMap(ioas, b.ramVa, 4096, { iova: 0 }))).toBe('EINVAL');
  });
});
