import { errnoOf, GuestMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { iommufdBed } from './__fixtures__/iommufd-bed.js';
import { IommuDevice, IommuHw } from './iommu-hw.js';
import * as u from './uapi.js';

const MiB = 1 << 20;
const PS = 4096;

function fixture() {
  const bed = iommufdBed({ ramSize: 16 * MiB });
  const ioas = bed.client.ioasAlloc();
  const ioctl = (cmd: number, va: number) => errnoOf(() => bed.proc.ioctl(bed.fd, cmd, va));
  return { ...bed, ioas, ioctl };
}

describe('cmd_length (selftest iommufd.cmd_length)', () => {
  it.each([
    ['IOMMU_DESTROY', u.IOMMU_DESTROY, 8],
    ['IOMMU_IOAS_ALLOC', u.IOMMU_IOAS_ALLOC, 12],
    ['IOMMU_IOAS_IOVA_RANGES', u.IOMMU_IOAS_IOVA_RANGES, 32],
    ['IOMMU_IOAS_ALLOW_IOVAS', u.IOMMU_IOAS_ALLOW_IOVAS, 24],
    ['IOMMU_IOAS_COPY', u.IOMMU_IOAS_COPY, 40],
    ['IOMMU_IOAS_MAP', u.IOMMU_IOAS_MAP, 40],
    ['IOMMU_IOAS_UNMAP', u.IOMMU_IOAS_UNMAP, 24],
    ['IOMMU_OPTION', u.IOMMU_OPTION, 24],
    ['IOMMU_VFIO_IOAS', u.IOMMU_VFIO_IOAS, 12],
    ['IOMMU_HWPT_ALLOC', u.IOMMU_HWPT_ALLOC, 24],
    ['IOMMU_GET_HW_INFO', u.IOMMU_GET_HW_INFO, 32],
    ['IOMMU_HWPT_SET_DIRTY_TRACKING', u.IOMMU_HWPT_SET_DIRTY_TRACKING, 16],
    ['IOMMU_HWPT_GET_DIRTY_BITMAP', u.IOMMU_HWPT_GET_DIRTY_BITMAP, 48],
  ])('%s: size below %i → EINVAL; a non-zero byte past the kernel struct → E2BIG', (_n, cmd, min) => {
    const f = fixture();
    const before = f.ctx.objectIds();
    const va = f.mm.alloc(256, 8);
    f.mm.writeU32(va, min - 1);
    expect(f.ioctl(cmd, va)).toBe('EINVAL');
    f.mm.writeU32(va, 200);
    f.mm.copyToUser(va + 199, new Uint8Array([1]));
    expect(f.ioctl(cmd, va)).toBe('E2BIG');
    expect(f.ctx.objectIds()).toEqual(before);
  });
});

describe('object lifetimes', () => {
  it('DESTROY: ENOENT, EBUSY while used, then frees', () => {
    const f = fixture();
    f.client.ioasMap(f.ioas, f.ramVa, 2 * MiB, { iova: 0 });
    const hwpt = f.client.hwptAlloc(f.devId, f.ioas, 0);
    f.ctx.attachDevice(f.devId, hwpt);
    expect(errnoOf(() => f.client.destroy(999))).toBe('ENOENT');
    expect(errnoOf(() => f.client.destroy(f.ioas))).toBe('EBUSY');
    expect(errnoOf(() => f.client.destroy(hwpt))).toBe('EBUSY');
    expect(errnoOf(() => f.client.destroy(f.devId))).toBe('EBUSY');
    f.ctx.detachDevice(f.devId);
    expect(errnoOf(() => f.dev.dmaPort.readU32(0))).toBe('EFAULT');
    f.client.destroy(hwpt);
    f.client.destroy(f.ioas);
    expect(f.ctx.objectIds()).toEqual([{ id: f.devId, type: 'device' }]);
  });

  it('attaching straight to an IOAS makes an auto domain, shared, freed with its last device', () => {
    const f = fixture();
    f.client.ioasMap(f.ioas, f.ramVa, 2 * MiB, { iova: 0 });
    const dev2 = f.ctx.bindDevice(new IommuDevice(new IommuHw({ format: 'amd-v1' }), 'vf1'));
    const a = f.ctx.attachDevice(f.devId, f.ioas);
    expect(f.ctx.attachDevice(dev2, f.ioas)).toBe(a);
    f.dev.dmaPort.writeU32(8, 5);
    expect(f.dev.dmaPort.readU32(8)).toBe(5);
    f.ctx.detachDevice(f.devId);
    expect(f.ctx.objectIds().some((o) => o.id === a)).toBe(true);
    f.ctx.unbindDevice(dev2);
    expect(f.ctx.objectIds().some((o) => o.id === a)).toBe(false);
    expect(errnoOf(() => f.ctx.attachDevice(f.devId, 999))).toBe('ENOENT');
    expect(errnoOf(() => f.ctx.attachDevice(999, f.ioas))).toBe('ENOENT');
    expect(errnoOf(() => f.ctx.bindDevice(f.dev))).toBe('EBUSY');
  });

  it('a device of another IOMMU type cannot attach to the domain (EINVAL); state unchanged', () => {
    const f = fixture();
    const hwpt = f.client.hwptAlloc(f.devId, f.ioas, 0);
    const arm = new IommuDevice(new IommuHw({ format: 'arm-smmuv3-s1' }), 'arm');
    const armId = f.ctx.bindDevice(arm);
    expect(errnoOf(() => f.ctx.attachDevice(armId, hwpt))).toBe('EINVAL');
    expect(arm.domain).toBeUndefined();
    expect(f.ctx.hwpt(hwpt).domain.devices.size).toBe(0);
  });

  it('VT-d refuses a dirty domain on a non-zero PASID', () => {
    const f = fixture();
    const vtd = new IommuDevice(new IommuHw({ format: 'vtd-ss' }), 'vtd');
    const id = f.ctx.bindDevice(vtd);
    const hwpt = f.client.hwptAlloc(id, f.ioas, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    expect(errnoOf(() => f.ctx.attachDevice(id, hwpt, 1))).toBe('EINVAL');
    expect(f.ctx.attachDevice(id, hwpt, 0)).toBe(hwpt);
  });
});

describe('HWPT_ALLOC / GET_HW_INFO validation', () => {
  it('each errno, and no object is created', () => {
    const f = fixture();
    const before = f.ctx.objectIds();
    const alloc = (
      o: Partial<
        Record<'flags' | 'dev_id' | 'pt_id' | '__reserved' | 'data_type' | 'data_len' | '__reserved2', number>
      >,
    ) =>
      f.ioctl(
        u.IOMMU_HWPT_ALLOC,
        f.mm.pushStruct(u.iommu_hwpt_alloc, {
          size: 48,
          flags: 0,
          dev_id: f.devId,
          pt_id: f.ioas,
          out_hwpt_id: 0,
          __reserved: 0,
          data_type: 0,
          data_len: 0,
          data_uptr: 0n,
          fault_id: 0,
          __reserved2: 0,
          ...o,
        }),
      );
    expect(alloc({ __reserved: 1 })).toBe('EOPNOTSUPP');
    expect(alloc({ data_len: 4 })).toBe('EINVAL');
    expect(alloc({ dev_id: f.ioas })).toBe('ENOENT');
    expect(alloc({ pt_id: f.devId })).toBe('EINVAL');
    expect(alloc({ flags: 1 << 7 })).toBe('EOPNOTSUPP');
    expect(alloc({ flags: u.IOMMU_HWPT_FAULT_ID_VALID })).toBe('EOPNOTSUPP');
    expect(f.ctx.objectIds()).toEqual(before);
    const info = (o: Partial<{ flags: number; dev_id: number }>) =>
      f.ioctl(
        u.IOMMU_GET_HW_INFO,
        f.mm.pushStruct(u.iommu_hw_info, {
          size: 40,
          flags: 0,
          dev_id: f.devId,
          data_len: 0,
          data_uptr: 0n,
          out_data_type: 0,
          out_max_pasid_log2: 0,
          __reserved: [0, 0, 0],
          out_capabilities: 0n,
          ...o,
        }),
      );
    expect(info({ dev_id: f.ioas })).toBe('ENOENT');
    expect(info({ flags: 2 })).toBe('EOPNOTSUPP');
  });

  it('GET_HW_INFO: vendor data carries the capability register; size 32 leaves out_capabilities', () => {
    const f = fixture();
    const data = f.mm.alloc(16, 8);
    const va = f.mm.pushStruct(u.iommu_hw_info, {
      size: 32,
      flags: 0,
      dev_id: f.devId,
      data_len: 16,
      data_uptr: BigInt(data),
      out_data_type: 0,
      out_max_pasid_log2: 0,
      __reserved: [0, 0, 0],
      out_capabilities: 0xdeadn,
    });
    f.proc.ioctl(f.fd, u.IOMMU_GET_HW_INFO, va);
    const out = f.mm.readStruct(u.iommu_hw_info, va);
    expect(out.out_data_type).toBe(u.IOMMU_HW_INFO_TYPE_AMD);
    expect(out.out_capabilities).toBe(0xdeadn); // not written: size 32
    expect((f.mm.readU64(data) >> 52n) & 1n).toBe(1n); // EFR HDSup
  });
});

describe('IOAS ioctls', () => {
  it('IOVA_RANGES: full range, alignment; EMSGSIZE with too little room', () => {
    const f = fixture();
    expect(f.client.ioasIovaRanges(f.ioas)).toEqual({
      ranges: [{ start: 0n, last: 2n ** 53n - 1n }],
      alignment: 1,
    });
    f.client.hwptAlloc(f.devId, f.ioas, 0);
    expect(f.client.ioasIovaRanges(f.ioas)).toEqual({
      ranges: [{ start: 0n, last: 2n ** 48n - 1n }],
      alignment: PS,
    });
    const va = f.mm.pushStruct(u.iommu_ioas_iova_ranges, {
      size: 32,
      ioas_id: f.ioas,
      num_iovas: 0,
      __reserved: 0,
      allowed_iovas: 0n,
      out_iova_alignment: 0n,
    });
    expect(f.ioctl(u.IOMMU_IOAS_IOVA_RANGES, va)).toBe('EMSGSIZE');
    expect(f.mm.readStruct(u.iommu_ioas_iova_ranges, va).num_iovas).toBe(1);
  });

  it('ALLOW_IOVAS: restricts maps; EADDRINUSE if a mapping falls outside; EINVAL for start > last', () => {
    const f = fixture();
    f.client.ioasMap(f.ioas, f.ramVa, PS, { iova: 0 });
    const ranges = f.mm.alloc(32, 8);
    const allow = (start: bigint, last: bigint) => {
      f.mm.copyToUser(ranges, u.iommu_iova_range.encode({ start, last }));
      return f.ioctl(
        u.IOMMU_IOAS_ALLOW_IOVAS,
        f.mm.pushStruct(u.iommu_ioas_allow_iovas, {
          size: 24,
          ioas_id: f.ioas,
          num_iovas: 1,
          __reserved: 0,
          allowed_iovas: BigInt(ranges),
        }),
      );
    };
    expect(allow(BigInt(MiB), BigInt(2 * MiB - 1))).toBe('EADDRINUSE');
    expect(allow(5n, 4n)).toBe('EINVAL');
    expect(f.ctx.ioas(f.ioas).allowedIovas).toBeNull();
    expect(allow(0n, BigInt(2 * MiB - 1))).toBeUndefined();
    expect(errnoOf(() => f.client.ioasMap(f.ioas, f.ramVa, PS, { iova: 4 * MiB }))).toBe('EINVAL');
    expect(f.client.ioasMap(f.ioas, f.ramVa, PS)).toBeLessThan(2 * MiB);
  });

  it('COPY: clones one exact mapping into another IOAS; ENOENT otherwise', () => {
    const f = fixture();
    f.client.ioasMap(f.ioas, f.ramVa, 2 * MiB, { iova: 0 });
    const dst = f.client.ioasAlloc();
    const copy = (len: number) =>
      f.ioctl(
        u.IOMMU_IOAS_COPY,
        f.mm.pushStruct(u.iommu_ioas_copy, {
          size: 40,
          flags: u.IOMMU_IOAS_MAP_FIXED_IOVA | u.IOMMU_IOAS_MAP_READABLE,
          dst_ioas_id: dst,
          src_ioas_id: f.ioas,
          length: BigInt(len),
          dst_iova: BigInt(8 * MiB),
          src_iova: 0n,
        }),
      );
    expect(copy(MiB)).toBe('ENOENT');
    expect(f.ctx.ioas(dst).mappings).toEqual([]);
    expect(copy(2 * MiB)).toBeUndefined();
    expect(f.ctx.ioas(dst).mappings[0]).toMatchObject({
      iova: 8 * MiB,
      length: 2 * MiB,
      prot: { read: true, write: false },
    });
  });

  it('OPTION: HUGE_PAGES get/set; RLIMIT_MODE global; bad values', () => {
    const f = fixture();
    const opt = (option_id: number, op: number, object_id: number, val64: bigint, reserved = 0) => {
      const va = f.mm.pushStruct(u.iommu_option, {
        size: 24,
        option_id,
        op,
        __reserved: reserved,
        object_id,
        val64,
      });
      return { err: f.ioctl(u.IOMMU_OPTION, va), val: () => f.mm.readStruct(u.iommu_option, va).val64 };
    };
    const g = opt(u.IOMMU_OPTION_HUGE_PAGES, u.IOMMU_OPTION_OP_GET, f.ioas, 0n);
    expect(g.err).toBeUndefined();
    expect(g.val()).toBe(1n);
    expect(opt(u.IOMMU_OPTION_HUGE_PAGES, u.IOMMU_OPTION_OP_SET, f.ioas, 2n).err).toBe('EINVAL');
    expect(opt(u.IOMMU_OPTION_HUGE_PAGES, u.IOMMU_OPTION_OP_SET, 999, 0n).err).toBe('ENOENT');
    expect(opt(u.IOMMU_OPTION_RLIMIT_MODE, u.IOMMU_OPTION_OP_SET, 1, 0n).err).toBe('EINVAL');
    expect(opt(7, u.IOMMU_OPTION_OP_GET, 0, 0n).err).toBe('EOPNOTSUPP');
    expect(opt(u.IOMMU_OPTION_HUGE_PAGES, 5, f.ioas, 0n).err).toBe('EOPNOTSUPP');
    expect(opt(u.IOMMU_OPTION_HUGE_PAGES, u.IOMMU_OPTION_OP_GET, f.ioas, 0n, 1).err).toBe('EOPNOTSUPP');
    expect(f.ctx.ioas(f.ioas).hugePages).toBe(true);
    f.client.setHugePages(f.ioas, false);
    expect(f.client.ioasIovaRanges(f.ioas).alignment).toBe(PS);
  });

  it('OPTION HUGE_PAGES = 0 once a domain holds mappings → EINVAL (iopt_disable_large_pages), large pages stay on', () => {
    const f = fixture();
    f.client.ioasMap(f.ioas, f.ramVa, 2 * MiB, { iova: 0 });
    f.ctx.attachDevice(f.devId, f.ioas);
    expect(errnoOf(() => f.client.setHugePages(f.ioas, false))).toBe('EINVAL');
    expect(f.ctx.ioas(f.ioas).hugePages).toBe(true);
    f.client.setHugePages(f.ioas, true); // enabling is always allowed
  });

  it('VFIO_IOAS: GET without one → ENODEV; SET/GET/CLEAR', () => {
    const f = fixture();
    const vfio = (op: number, ioas_id = 0) => {
      const va = f.mm.pushStruct(u.iommu_vfio_ioas, { size: 12, ioas_id, op, __reserved: 0 });
      return {
        err: f.ioctl(u.IOMMU_VFIO_IOAS, va),
        id: () => f.mm.readStruct(u.iommu_vfio_ioas, va).ioas_id,
      };
    };
    expect(vfio(u.IOMMU_VFIO_IOAS_GET).err).toBe('ENODEV');
    expect(vfio(u.IOMMU_VFIO_IOAS_SET, 999).err).toBe('ENOENT');
    expect(vfio(u.IOMMU_VFIO_IOAS_SET, f.ioas).err).toBeUndefined();
    const g = vfio(u.IOMMU_VFIO_IOAS_GET);
    expect(g.id()).toBe(f.ioas);
    expect(vfio(u.IOMMU_VFIO_IOAS_CLEAR).err).toBeUndefined();
    expect(vfio(u.IOMMU_VFIO_IOAS_GET).err).toBe('ENODEV');
    expect(vfio(9).err).toBe('EOPNOTSUPP');
  });

  it('IOAS_ALLOC with flags → EOPNOTSUPP; closing the file releases everything', () => {
    const f = fixture();
    expect(
      f.ioctl(
        u.IOMMU_IOAS_ALLOC,
        f.mm.pushStruct(u.iommu_ioas_alloc, { size: 12, flags: 1, out_ioas_id: 0 }),
      ),
    ).toBe('EOPNOTSUPP');
    f.client.ioasMap(f.ioas, f.ramVa, 2 * MiB, { iova: 0 });
    const hwpt = f.client.hwptAlloc(f.devId, f.ioas, 0);
    f.ctx.attachDevice(f.devId, hwpt);
    f.proc.close(f.fd);
    expect(f.file.released).toBe(true);
    expect(f.dev.domain).toBeUndefined();
    expect(f.ctx.objectIds()).toEqual([]);
  });
});

describe('kernel-side entry points (no user structs)', () => {
  it('allocIoas + Ioas.map + allocHwpt(DIRTY_TRACKING) + attachDevice, then DMA is tracked', () => {
    const f = fixture();
    const guest = new GuestMemory(4 * MiB);
    const ioasId = f.ctx.allocIoas();
    f.ctx.ioas(ioasId).map(guest, 0, 4 * MiB, 0, { read: true, write: true });
    const hwptId = f.ctx.allocHwpt(f.devId, ioasId, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    f.ctx.attachDevice(f.devId, hwptId);
    const hwpt = f.ctx.hwpt(hwptId);
    hwpt.ioas.setDirtyTracking(hwpt.domain, true);
    f.dev.dmaPort.writeU32(3 * MiB, 9);
    expect(guest.readU32(3 * MiB)).toBe(9);
    expect(hwpt.domain.readAndClearDirty(0, 4 * MiB, false, null, null)).toBe(1);
    expect(errnoOf(() => f.ctx.allocHwpt(f.devId, ioasId, 1 << 9))).toBe('EOPNOTSUPP');
    expect(errnoOf(() => f.ctx.allocHwpt(f.devId, 999))).toBe('ENOENT');
  });
});
