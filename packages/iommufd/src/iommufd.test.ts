import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { iommufdBed } from './__fixtures__/iommufd-bed.js';
import type { IoPgtableFormatName } from './io-pgtable-format.js';
import { IommuDevice, IommuHw } from './iommu-hw.js';
import * as u from './uapi.js';

const MiB = 1 << 20;
const PS = 4096;

/** The selftest fixture: an iommufd, a VMM process with guest RAM mapped, one bound device. */
function fixture(format: IoPgtableFormatName = 'amd-v1', ramSize = 64 * MiB) {
  return iommufdBed({ format, ramSize });
}

describe('iommufd uAPI', () => {
  it('ioctl numbers match include/uapi/linux/iommufd.h', () => {
    expect(u.IOMMU_DESTROY).toBe(0x3b80);
    expect(u.IOMMU_IOAS_ALLOC).toBe(0x3b81);
    expect(u.IOMMU_IOAS_ALLOW_IOVAS).toBe(0x3b82);
    expect(u.IOMMU_IOAS_COPY).toBe(0x3b83);
    expect(u.IOMMU_IOAS_IOVA_RANGES).toBe(0x3b84);
    expect(u.IOMMU_IOAS_MAP).toBe(0x3b85);
    expect(u.IOMMU_IOAS_UNMAP).toBe(0x3b86);
    expect(u.IOMMU_OPTION).toBe(0x3b87);
    expect(u.IOMMU_VFIO_IOAS).toBe(0x3b88);
    expect(u.IOMMU_HWPT_ALLOC).toBe(0x3b89);
    expect(u.IOMMU_GET_HW_INFO).toBe(0x3b8a);
    expect(u.IOMMU_HWPT_SET_DIRTY_TRACKING).toBe(0x3b8b);
    expect(u.IOMMU_HWPT_GET_DIRTY_BITMAP).toBe(0x3b8c);
  });

  it('struct layouts have the C offsets', () => {
    expect(u.iommu_hwpt_get_dirty_bitmap.offsetOf('data')).toBe(40);
    expect(u.iommu_hwpt_alloc.offsetOf('data_uptr')).toBe(32);
    expect(u.iommu_hw_info.offsetOf('out_capabilities')).toBe(32);
    expect(u.iommu_ioas_map.offsetOf('iova')).toBe(32);
    expect(u.iommu_option.offsetOf('val64')).toBe(16);
  });

  it('unknown ioctl → ENOTTY; size below minimum → EINVAL; non-zero unknown tail → E2BIG', () => {
    const { proc, fd, mm } = fixture();
    expect(errnoOf(() => proc.ioctl(fd, 0x3b8f, 0))).toBe('ENOTTY');
    const small = mm.pushStruct(u.iommu_ioas_alloc, { size: 8, flags: 0, out_ioas_id: 0 });
    expect(errnoOf(() => proc.ioctl(fd, u.IOMMU_IOAS_ALLOC, small))).toBe('EINVAL');
    const big = mm.alloc(32, 8);
    mm.writeU32(big, 32);
    mm.writeU32(big + 20, 1);
    expect(errnoOf(() => proc.ioctl(fd, u.IOMMU_IOAS_ALLOC, big))).toBe('E2BIG');
    mm.writeU32(big + 20, 0);
    expect(proc.ioctl(fd, u.IOMMU_IOAS_ALLOC, big)).toBe(0); // zero tail is fine
    expect(mm.readU32(big + 8)).toBeGreaterThan(0);
    expect(errnoOf(() => proc.ioctl(fd, u.IOMMU_IOAS_ALLOC, 0))).toBe('EFAULT');
  });
});

describe('IOAS map/unmap', () => {
  it('maps at a fixed IOVA, refuses overlaps, unmaps whole areas, ENOENT on nothing', () => {
    const { client, ramVa, ctx } = fixture();
    const ioas = client.ioasAlloc();
    expect(client.ioasMap(ioas, ramVa, 2 * MiB, { iova: 16 * MiB })).toBe(16 * MiB);
    const before = ctx.ioas(ioas).mappings;
    expect(errnoOf(() => client.ioasMap(ioas, ramVa, PS, { iova: 17 * MiB }))).toBe('EEXIST');
    expect(errnoOf(() => client.ioasMap(ioas, ramVa, 0, { iova: 32 * MiB }))).toBe('EINVAL');
    expect(errnoOf(() => client.ioasMap(ioas, ramVa, PS, { readable: false, writeable: false }))).toBe(
      'EINVAL',
    );
    expect(errnoOf(() => client.ioasMap(ioas + 100, ramVa, PS))).toBe('ENOENT');
    expect(errnoOf(() => client.ioasMap(ioas, 0x1234_0000, PS))).toBe('EFAULT');
    expect(ctx.ioas(ioas).mappings).toEqual(before);
    // Cutting a mapping → ENOENT and nothing changes; a hole → ENOENT.
    expect(errnoOf(() => client.ioasUnmap(ioas, 16 * MiB, MiB))).toBe('ENOENT');
    expect(errnoOf(() => client.ioasUnmap(ioas, 64 * MiB, MiB))).toBe('ENOENT');
    expect(errnoOf(() => client.ioasUnmap(ioas, 16 * MiB, 0))).toBe('EINVAL');
    expect(errnoOf(() => client.ioasUnmap(ioas, 16 * MiB, (1n << 64n) - 1n))).toBe('EOVERFLOW');
    expect(ctx.ioas(ioas).mappings).toEqual(before);
    expect(client.ioasUnmap(ioas, 0, 64 * MiB)).toBe(2 * MiB);
    // Unmap all succeeds on an empty IOAS.
    expect(client.ioasUnmap(ioas, 0, (1n << 64n) - 1n)).toBe(0);
  });

  it('IOVA alignment: 1 on a bare IOAS (model still maps whole pages), 4096 with a domain or HUGE_PAGES=0', () => {
    const { client, ramVa, ctx, devId } = fixture();
    const ioas = client.ioasAlloc();
    expect(errnoOf(() => client.ioasMap(ioas, ramVa, PS, { iova: 0x800 }))).toBe('EINVAL');
    client.setHugePages(ioas, false);
    expect(client.ioasIovaRanges(ioas).alignment).toBe(PS);
    client.setHugePages(ioas, true);
    client.hwptAlloc(devId, ioas, 0);
    expect(client.ioasIovaRanges(ioas).alignment).toBe(PS);
    expect(errnoOf(() => client.ioasMap(ioas, ramVa, PS + 0x800, { iova: 0 }))).toBe('EINVAL');
    expect(errnoOf(() => client.ioasMap(ioas, ramVa, PS, { iova: 2 ** 48 }))).toBe('EINVAL'); // aperture
    expect(ctx.ioas(ioas).mappings).toEqual([]);
  });

  it('picks an IOVA when not fixed, aligned for huge leaves', () => {
    const { client, ramVa } = fixture();
    const ioas = client.ioasAlloc();
    const a = client.ioasMap(ioas, ramVa, 4 * MiB);
    const b = client.ioasMap(ioas, ramVa + 4 * MiB, 4 * MiB);
    expect(a % (2 * MiB)).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 4 * MiB);
  });

  it('flags and __reserved → EOPNOTSUPP', () => {
    const { proc, fd, mm, client, ramVa } = fixture();
    const ioas = client.ioasAlloc();
    const base = { size: 40, ioas_id: ioas, user_va: BigInt(ramVa), length: BigInt(PS), iova: 0n };
    const bad1 = mm.pushStruct(u.iommu_ioas_map, {
      ...base,
      flags: (1 << 5) | u.IOMMU_IOAS_MAP_READABLE,
      __reserved: 0,
    });
    const bad2 = mm.pushStruct(u.iommu_ioas_map, {
      ...base,
      flags: u.IOMMU_IOAS_MAP_READABLE,
      __reserved: 1,
    });
    expect(errnoOf(() => proc.ioctl(fd, u.IOMMU_IOAS_MAP, bad1))).toBe('EOPNOTSUPP');
    expect(errnoOf(() => proc.ioctl(fd, u.IOMMU_IOAS_MAP, bad2))).toBe('EOPNOTSUPP');
    const ovf = mm.pushStruct(u.iommu_ioas_map, {
      ...base,
      flags: u.IOMMU_IOAS_MAP_READABLE,
      __reserved: 0,
      length: (1n << 64n) - 1n,
    });
    expect(errnoOf(() => proc.ioctl(fd, u.IOMMU_IOAS_MAP, ovf))).toBe('EOVERFLOW');
  });
});

describe('HWPT and dirty tracking (selftest iommufd_dirty_tracking)', () => {
  it('enforce_dirty: dirty HWPT for a capable device; a no-dirty device cannot attach (EINVAL) or allocate (EOPNOTSUPP)', () => {
    const { client, ctx, devId, ramVa } = fixture();
    const ioas = client.ioasAlloc();
    client.ioasMap(ioas, ramVa, 4 * MiB, { iova: 16 * MiB });
    const hwpt = client.hwptAlloc(devId, ioas, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    expect(ctx.attachDevice(devId, hwpt)).toBe(hwpt);
    const plainHw = new IommuHw({ format: 'amd-v1', dirtyTracking: false });
    const noDirty = ctx.bindDevice(new IommuDevice(plainHw, 'nodirty'));
    expect(errnoOf(() => ctx.attachDevice(noDirty, hwpt))).toBe('EINVAL');
    expect(errnoOf(() => client.hwptAlloc(noDirty, ioas, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING))).toBe(
      'EOPNOTSUPP',
    );
    expect(client.getHwInfo(noDirty).capabilities).toBe(0n);
    expect(client.getHwInfo(devId).capabilities & BigInt(u.IOMMU_HW_CAP_DIRTY_TRACKING)).toBe(1n);
    expect(client.getHwInfo(devId).dataType).toBe(u.IOMMU_HW_INFO_TYPE_AMD);
  });

  it('DMA writes through the device set dirty bits that GET reports and clears', () => {
    const { client, ctx, dev, devId, ramVa, guest, mm } = fixture();
    const ioas = client.ioasAlloc();
    client.ioasMap(ioas, ramVa, 8 * MiB, { iova: 16 * MiB });
    const hwpt = client.hwptAlloc(devId, ioas, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    ctx.attachDevice(devId, hwpt);
    client.setDirtyTracking(hwpt, true);
    dev.dmaPort.writeU32(16 * MiB + 5 * PS + 8, 0xdead_beef);
    expect(guest.readU32(5 * PS + 8)).toBe(0xdead_beef);
    const bitmap = mm.alloc((8 * MiB) / PS / 8, 8);
    client.getDirtyBitmap(hwpt, 16 * MiB, 8 * MiB, PS, bitmap);
    // 8 MiB mapped with 2 MiB leaves: the dirty leaf reports all its 512 bits.
    expect(mm.readU64(bitmap)).toBe((1n << 64n) - 1n);
    expect(mm.readU64(bitmap + 64)).toBe(0n);
    mm.copyToUser(bitmap, new Uint8Array((8 * MiB) / PS / 8));
    client.getDirtyBitmap(hwpt, 16 * MiB, 8 * MiB, PS, bitmap);
    expect(mm.readU64(bitmap)).toBe(0n);
  });
});
