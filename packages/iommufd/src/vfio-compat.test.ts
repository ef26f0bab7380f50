/**
 * The VFIO compatibility container of iommufd (drivers/iommu/iommufd/vfio_compat.c), mirroring the
 * selftests of tools/testing/selftests/iommu/iommufd.c that drive it (`TEST_F(iommufd, …)` and
 * `FIXTURE(vfio_compat_mock_domain)`), then what it answers to the legacy dirty-tracking ioctls.
 */
import { errnoOf, GuestMemory, PAGE_SIZE, Process, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { decodeType1Info } from './__fixtures__/info-chain.js';
import { IommufdClient } from './iommufd-client.js';
import { openIommufd } from './iommufd-ctx.js';
import { MOCK_APERTURE_LAST, MOCK_APERTURE_START } from './iommufd-selftest.js';
import * as u from './uapi.js';
import {
  VFIO_API_VERSION,
  VFIO_CHECK_EXTENSION,
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_VADDR,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
  VFIO_DMA_UNMAP_FLAG_VADDR,
  VFIO_GET_API_VERSION,
  VFIO_IOMMU_DIRTY_PAGES,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_UNMAP_DMA,
  VFIO_SET_IOMMU,
  VFIO_TYPE1_IOMMU,
  VFIO_TYPE1v2_IOMMU,
  vfio_iommu_type1_dirty_bitmap,
  vfio_iommu_type1_dma_map,
  vfio_iommu_type1_dma_unmap,
  vfio_iommu_type1_info,
} from './vfio-type1-uapi.js';

/** The selftests' BUFFER_SIZE: 16 CPU pages. */
const BUFFER_SIZE = 16 * PAGE_SIZE;
const MiB = 1 << 20;

/** `FIXTURE(iommufd)`: an open /dev/iommu and a mapped buffer. */
function iommufdFixture() {
  const mm = new UserMemory();
  const proc = new Process(mm);
  const buffer = mm.mmap(new GuestMemory(4 * MiB));
  const file = openIommufd();
  const fd = proc.install(file);
  const client = new IommufdClient(proc, fd);
  const ioctl = (cmd: number, arg: number) => proc.ioctl(fd, cmd, arg);
  const err = (cmd: number, arg: number) => errnoOf(() => ioctl(cmd, arg));
  return { mm, proc, buffer, file, fd, client, ioctl, err, ctx: file.privateData };
}

/**
 * `FIXTURE_SETUP(vfio_compat_mock_domain)`: an IOAS with a mock device attached (what VFIO would
 * consider a group), made the compatibility IOAS, then VFIO_SET_IOMMU(`version`).
 */
function vfioCompatMockDomain(version: number) {
  const f = iommufdFixture();
  const ioasId = f.client.ioasAlloc();
  f.client.mockDomain(ioasId);
  f.client.vfioIoasSet(ioasId);
  expect(f.ioctl(VFIO_SET_IOMMU, version)).toBe(0);
  return { ...f, ioasId };
}

/** `ioctl_check_buf`: run the ioctl on the command at `va`; nothing past its first u32's length may change. */
function ioctlCheckBuf(f: ReturnType<typeof iommufdFixture>, cmd: number, va: number, room = 256): void {
  const len = f.mm.readU32(va);
  f.mm.copyToUser(va + len, new Uint8Array(room - len).fill(0xaa));
  expect(f.ioctl(cmd, va)).toBe(0);
  expect([...f.mm.copyFromUser(va + len, room - len)].every((b) => b === 0xaa)).toBe(true);
}

const mapCmd = (
  f: ReturnType<typeof iommufdFixture>,
  o: Partial<{ argsz: number; flags: number; vaddr: bigint; iova: bigint; size: bigint }>,
) =>
  f.mm.pushStruct(vfio_iommu_type1_dma_map, {
    argsz: 32,
    flags: VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
    vaddr: BigInt(f.buffer),
    iova: BigInt(MOCK_APERTURE_START),
    size: BigInt(BUFFER_SIZE),
    ...o,
  });
const unmapCmd = (
  f: ReturnType<typeof iommufdFixture>,
  o: Partial<{ argsz: number; flags: number; iova: bigint; size: bigint }>,
) =>
  f.mm.pushStruct(vfio_iommu_type1_dma_unmap, {
    argsz: 24,
    flags: 0,
    iova: BigInt(MOCK_APERTURE_START),
    size: BigInt(BUFFER_SIZE),
    ...o,
  });

describe('selftest iommufd (no compatibility IOAS)', () => {
  it('TEST_F(iommufd, simple_ioctls): GET_API_VERSION = VFIO_API_VERSION; CHECK_EXTENSION(TYPE1v2) = 1', () => {
    const f = iommufdFixture();
    expect(f.ioctl(VFIO_GET_API_VERSION, 0)).toBe(VFIO_API_VERSION);
    expect(f.ioctl(VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)).toBe(1);
  });

  it('TEST_F(iommufd, unmap_cmd): argsz 1 → EINVAL; flags bit 31 → EINVAL; then no compat IOAS → ENODEV', () => {
    const f = iommufdFixture();
    expect(f.err(VFIO_IOMMU_UNMAP_DMA, unmapCmd(f, { argsz: 1, size: BigInt(PAGE_SIZE) }))).toBe('EINVAL');
    expect(f.err(VFIO_IOMMU_UNMAP_DMA, unmapCmd(f, { flags: 2 ** 31, size: BigInt(PAGE_SIZE) }))).toBe(
      'EINVAL',
    );
    expect(f.err(VFIO_IOMMU_UNMAP_DMA, unmapCmd(f, { size: BigInt(PAGE_SIZE) }))).toBe('ENODEV');
  });

  it('TEST_F(iommufd, map_cmd): argsz 1 → EINVAL; flags bit 31 → EINVAL; "requires a domain to be attached" → ENODEV', () => {
    const f = iommufdFixture();
    expect(f.err(VFIO_IOMMU_MAP_DMA, mapCmd(f, { argsz: 1, size: BigInt(PAGE_SIZE) }))).toBe('EINVAL');
    expect(f.err(VFIO_IOMMU_MAP_DMA, mapCmd(f, { flags: 2 ** 31, size: BigInt(PAGE_SIZE) }))).toBe('EINVAL');
    expect(f.err(VFIO_IOMMU_MAP_DMA, mapCmd(f, { size: BigInt(PAGE_SIZE) }))).toBe('ENODEV');
  });

  it('TEST_F(iommufd, info_cmd): argsz 1 → EINVAL; sizeof → ENODEV', () => {
    const f = iommufdFixture();
    const info = f.mm.alloc(24, 8);
    f.mm.writeU32(info, 1);
    expect(f.err(VFIO_IOMMU_GET_INFO, info)).toBe('EINVAL');
    f.mm.writeU32(info, 24);
    expect(f.err(VFIO_IOMMU_GET_INFO, info)).toBe('ENODEV');
  });

  it('TEST_F(iommufd, set_iommu_cmd): "requires a domain to be attached" → ENODEV for TYPE1v2 and TYPE1', () => {
    const f = iommufdFixture();
    expect(f.err(VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)).toBe('ENODEV');
    expect(f.err(VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)).toBe('ENODEV');
  });
});

describe.each([
  ['Ver1v2', VFIO_TYPE1v2_IOMMU],
  ['Ver1v0', VFIO_TYPE1_IOMMU],
])('selftest vfio_compat_mock_domain, variant %s', (_v, version) => {
  it('TEST_F(vfio_compat_mock_domain, option_huge_pages): HUGE_PAGES is 0 after SET_IOMMU(TYPE1), 1 after TYPE1v2', () => {
    const f = vfioCompatMockDomain(version);
    const opt = f.mm.pushStruct(u.iommu_option, {
      size: 24,
      option_id: u.IOMMU_OPTION_HUGE_PAGES,
      op: u.IOMMU_OPTION_OP_GET,
      __reserved: 0,
      object_id: f.ioasId,
      val64: 3n,
    });
    f.ioctl(u.IOMMU_OPTION, opt);
    expect(f.mm.readStruct(u.iommu_option, opt).val64).toBe(version === VFIO_TYPE1_IOMMU ? 0n : 1n);
  });

  it('TEST_F(vfio_compat_mock_domain, get_info): pre-cap ABI, the chain size, then every argsz: never a corrupt chain', () => {
    const f = vfioCompatMockDomain(version);
    const info = f.mm.alloc(256, 8);
    // Pre-cap ABI: argsz = offsetof(cap_offset).
    f.mm.copyToUser(
      info,
      vfio_iommu_type1_info.encode({ argsz: 16, flags: 0, iova_pgsizes: 0n, cap_offset: 0, pad: 0 }),
    );
    ioctlCheckBuf(f, VFIO_IOMMU_GET_INFO, info);
    expect(f.mm.readU64(info + 8)).not.toBe(0n);
    expect(f.mm.readU32(info + 4)).toBe(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
    // Read the cap chain size.
    f.mm.copyToUser(
      info,
      vfio_iommu_type1_info.encode({ argsz: 24, flags: 0, iova_pgsizes: 0n, cap_offset: 0, pad: 0 }),
    );
    ioctlCheckBuf(f, VFIO_IOMMU_GET_INFO, info);
    const sized = f.mm.readStruct(vfio_iommu_type1_info, info);
    expect(sized.flags).toBe(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
    expect(sized.cap_offset).toBe(0);
    expect(sized.argsz).toBeGreaterThan(24);
    // Read the caps, kernel should never create a corrupted caps.
    let complete = 0;
    for (let i = 24; i < sized.argsz + 8; i++) {
      f.mm.copyToUser(
        info,
        vfio_iommu_type1_info.encode({ argsz: i, flags: 0, iova_pgsizes: 0n, cap_offset: 0, pad: 0 }),
      );
      ioctlCheckBuf(f, VFIO_IOMMU_GET_INFO, info);
      const got = f.mm.readStruct(vfio_iommu_type1_info, info);
      expect(got.flags).toBe(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
      expect(got.argsz).toBe(sized.argsz);
      if (got.cap_offset === 0) {
        expect(i).toBeLessThan(sized.argsz);
        continue;
      }
      complete++;
      // check_vfio_info_cap_chain: IOVA range = the mock aperture; DMA avail, version 1, 16 bytes
      // (sizeof 12, ALIGN(…, 8) in the newest kernel).
      const chain = decodeType1Info(f.mm, info);
      expect(chain.caps).toEqual([
        { id: 3, at: 24, version: 1, avail: 0xffffffff },
        {
          id: 1,
          at: 40,
          version: 1,
          ranges: [{ start: BigInt(MOCK_APERTURE_START), end: BigInt(MOCK_APERTURE_LAST) }],
        },
      ]);
    }
    expect(complete).toBe(8); // argsz = the chain size and the 7 above it
  });

  it('TEST_F(vfio_compat_mock_domain, map): simple map/unmap, UNMAP_FLAG_ALL needs 0 iova/size, small pages in shuffled order', () => {
    const f = vfioCompatMockDomain(version);
    expect(f.ioctl(VFIO_IOMMU_MAP_DMA, mapCmd(f, {}))).toBe(0);
    const un = unmapCmd(f, {});
    expect(f.ioctl(VFIO_IOMMU_UNMAP_DMA, un)).toBe(0);
    expect(f.mm.readU64(un + 16)).toBe(BigInt(BUFFER_SIZE));
    expect(f.ioctl(VFIO_IOMMU_MAP_DMA, mapCmd(f, {}))).toBe(0);
    expect(f.err(VFIO_IOMMU_UNMAP_DMA, unmapCmd(f, { flags: VFIO_DMA_UNMAP_FLAG_ALL }))).toBe('EINVAL');
    const all = unmapCmd(f, { flags: VFIO_DMA_UNMAP_FLAG_ALL, iova: 0n, size: 0n });
    expect(f.ioctl(VFIO_IOMMU_UNMAP_DMA, all)).toBe(0);
    expect(f.mm.readU64(all + 16)).toBe(BigInt(BUFFER_SIZE));
    const pages = Array.from(
      { length: BUFFER_SIZE / PAGE_SIZE },
      (_, i) => MOCK_APERTURE_START + i * PAGE_SIZE,
    );
    pages.forEach((iova, i) => {
      f.ioctl(
        VFIO_IOMMU_MAP_DMA,
        mapCmd(f, { iova: BigInt(iova), vaddr: BigInt(f.buffer + i * PAGE_SIZE), size: BigInt(PAGE_SIZE) }),
      );
    });
    for (const k of [5, 0, 15, 3, 9, 1, 14, 2, 8, 4, 13, 6, 12, 7, 11, 10]) {
      expect(
        f.ioctl(VFIO_IOMMU_UNMAP_DMA, unmapCmd(f, { iova: BigInt(pages[k]!), size: BigInt(PAGE_SIZE) })),
      ).toBe(0);
    }
    expect(f.ctx.ioas(f.ioasId).mappings).toEqual([]);
  });

  it('TEST_F(vfio_compat_mock_domain, huge_map): "type1 mode can cut up larger mappings, type1v2 always fails" (ENOENT)', () => {
    const f = vfioCompatMockDomain(version);
    const bufSize = 4 * MiB; // HUGEPAGE_SIZE * 2 with 2 MiB huge pages
    f.ioctl(VFIO_IOMMU_MAP_DMA, mapCmd(f, { size: BigInt(bufSize) }));
    const piece = bufSize / 16;
    for (const k of [7, 0, 15, 3, 11, 1, 14, 2, 9, 4, 13, 6, 12, 5, 8, 10]) {
      const cmd = unmapCmd(f, { iova: BigInt(MOCK_APERTURE_START + k * piece), size: BigInt(piece) });
      if (version === VFIO_TYPE1_IOMMU) expect(f.ioctl(VFIO_IOMMU_UNMAP_DMA, cmd)).toBe(0);
      else expect(f.err(VFIO_IOMMU_UNMAP_DMA, cmd)).toBe('ENOENT');
    }
    expect(f.ctx.ioas(f.ioasId).mappedBytes).toBe(version === VFIO_TYPE1_IOMMU ? 0 : bufSize);
  });
});

describe('the legacy dirty-tracking ioctls, which the compatibility container does not implement', () => {
  it('VFIO_IOMMU_DIRTY_PAGES → ENOTTY (-ENOIOCTLCMD from iommufd_vfio_ioctl, ENOTTY at the syscall)', () => {
    const f = vfioCompatMockDomain(VFIO_TYPE1v2_IOMMU);
    const d = f.mm.pushStruct(vfio_iommu_type1_dirty_bitmap, {
      argsz: 8,
      flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
    });
    expect(f.err(VFIO_IOMMU_DIRTY_PAGES, d)).toBe('ENOTTY');
    // Not even the argument is looked at: the same without a compatibility IOAS, or with a bad pointer.
    expect(iommufdFixture().err(VFIO_IOMMU_DIRTY_PAGES, 0x10)).toBe('ENOTTY');
  });

  it('UNMAP_DMA with GET_DIRTY_BITMAP → EINVAL ("obsoleted by the new dirty tracking direction"), nothing unmapped', () => {
    const f = vfioCompatMockDomain(VFIO_TYPE1v2_IOMMU);
    f.ioctl(VFIO_IOMMU_MAP_DMA, mapCmd(f, {}));
    const un = unmapCmd(f, { argsz: 48, flags: VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP });
    expect(f.err(VFIO_IOMMU_UNMAP_DMA, un)).toBe('EINVAL');
    expect(f.ctx.ioas(f.ioasId).mappedBytes).toBe(BUFFER_SIZE);
    expect(f.mm.readU64(un + 16)).toBe(BigInt(BUFFER_SIZE)); // refused before anything was written back
  });

  it('GET_INFO has no migration capability: only DMA avail and IOVA ranges', () => {
    const f = vfioCompatMockDomain(VFIO_TYPE1v2_IOMMU);
    const info = f.mm.alloc(128, 8);
    f.mm.writeU32(info, 128);
    f.ioctl(VFIO_IOMMU_GET_INFO, info);
    expect(decodeType1Info(f.mm, info).caps.map((c) => c.id)).toEqual([3, 1]);
  });

  it('the dirty tracking that replaces it: IOMMU_HWPT_SET_DIRTY_TRACKING / GET_DIRTY_BITMAP on the same IOAS', () => {
    const f = vfioCompatMockDomain(VFIO_TYPE1v2_IOMMU);
    f.ioctl(VFIO_IOMMU_MAP_DMA, mapCmd(f, {}));
    const { idevId } = f.client.mockDomain(f.ioasId);
    const hwpt = f.client.hwptAlloc(idevId, f.ioasId, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    f.client.setDirtyTracking(hwpt, true);
    const bits = f.mm.alloc(8, 8);
    f.mm.writeU64(bits, 1n);
    expect(f.client.mockDomainSetDirty(hwpt, BUFFER_SIZE, MOCK_APERTURE_START, PAGE_SIZE, bits)).toBe(1);
    f.mm.writeU64(bits, 0n);
    f.client.getDirtyBitmap(hwpt, MOCK_APERTURE_START, BUFFER_SIZE, PAGE_SIZE, bits);
    expect(f.mm.readU64(bits)).toBe(1n);
  });
});

describe('iommufd_vfio_* checks the selftests do not cover', () => {
  it('SET_IOMMU: a type other than TYPE1 / TYPE1v2 → EINVAL, even with a compatibility IOAS', () => {
    const f = vfioCompatMockDomain(VFIO_TYPE1v2_IOMMU);
    expect(f.err(VFIO_SET_IOMMU, 42)).toBe('EINVAL');
  });

  it('SET_IOMMU(TYPE1) once a domain holds mappings → EINVAL (iopt_disable_large_pages), large pages stay on', () => {
    const f = vfioCompatMockDomain(VFIO_TYPE1v2_IOMMU);
    f.ioctl(VFIO_IOMMU_MAP_DMA, mapCmd(f, {}));
    expect(f.err(VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)).toBe('EINVAL');
    expect(f.ctx.ioas(f.ioasId).hugePages).toBe(true);
  });

  it('MAP_DMA: VADDR is not a supported flag → EINVAL; outside the mock aperture → EINVAL; overlap → EEXIST', () => {
    const f = vfioCompatMockDomain(VFIO_TYPE1v2_IOMMU);
    expect(f.err(VFIO_IOMMU_MAP_DMA, mapCmd(f, { flags: VFIO_DMA_MAP_FLAG_VADDR }))).toBe('EINVAL');
    expect(f.err(VFIO_IOMMU_MAP_DMA, mapCmd(f, { iova: 0n }))).toBe('EINVAL');
    f.ioctl(VFIO_IOMMU_MAP_DMA, mapCmd(f, {}));
    expect(f.err(VFIO_IOMMU_MAP_DMA, mapCmd(f, {}))).toBe('EEXIST');
    expect(f.ctx.ioas(f.ioasId).mappedBytes).toBe(BUFFER_SIZE);
  });

  it('UNMAP_DMA: VADDR → EINVAL; size 0 → EINVAL with size 0 written back; nothing mapped → 0 with size 0', () => {
    const f = vfioCompatMockDomain(VFIO_TYPE1v2_IOMMU);
    expect(f.err(VFIO_IOMMU_UNMAP_DMA, unmapCmd(f, { flags: VFIO_DMA_UNMAP_FLAG_VADDR }))).toBe('EINVAL');
    const zero = unmapCmd(f, { size: 0n });
    f.mm.writeU64(zero + 16, 0n);
    expect(f.err(VFIO_IOMMU_UNMAP_DMA, zero)).toBe('EINVAL');
    const cut = unmapCmd(f, { size: BigInt(PAGE_SIZE) });
    f.ioctl(VFIO_IOMMU_MAP_DMA, mapCmd(f, {}));
    expect(f.err(VFIO_IOMMU_UNMAP_DMA, cut)).toBe('ENOENT');
    expect(f.mm.readU64(cut + 16)).toBe(0n); // the unmapped size (0) is copied back even on failure
    const none = unmapCmd(f, { iova: BigInt(MOCK_APERTURE_START + MiB) });
    expect(f.ioctl(VFIO_IOMMU_UNMAP_DMA, none)).toBe(0);
    expect(f.mm.readU64(none + 16)).toBe(0n);
  });

  it('GET_INFO with room for DMA avail and the IOVA head but not its range: DMA avail written with `next`, the IOVA head not', () => {
    const f = vfioCompatMockDomain(VFIO_TYPE1v2_IOMMU);
    const info = f.mm.alloc(128, 8);
    f.mm.copyToUser(info, new Uint8Array(128).fill(0xaa));
    f.mm.copyToUser(
      info,
      vfio_iommu_type1_info.encode({
        argsz: 24 + 16 + 16,
        flags: 0,
        iova_pgsizes: 0n,
        cap_offset: 0,
        pad: 0,
      }),
    );
    f.ioctl(VFIO_IOMMU_GET_INFO, info);
    expect(f.mm.readStruct(vfio_iommu_type1_info, info)).toMatchObject({
      argsz: 24 + 16 + 32,
      cap_offset: 0,
    });
    expect(f.mm.readU32(info + 24)).toBe(3 | (1 << 16)); // id 3, version 1
    expect(f.mm.readU32(info + 28)).toBe(40); // its next: where the IOVA capability starts
    expect(f.mm.readU32(info + 32)).toBe(0xffffffff); // avail
    expect([...f.mm.copyFromUser(info + 40, 32)].every((x) => x === 0xaa)).toBe(true);
  });

  it('TYPE1 (v1) UNMAP_DMA whose end is not a page boundary: iopt_cut_iova refuses the cut → EINVAL, nothing cut or unmapped', () => {
    const f = vfioCompatMockDomain(VFIO_TYPE1_IOMMU);
    f.ioctl(VFIO_IOMMU_MAP_DMA, mapCmd(f, {}));
    const before = f.ctx.ioas(f.ioasId).mappings;
    expect(f.err(VFIO_IOMMU_UNMAP_DMA, unmapCmd(f, { size: BigInt(PAGE_SIZE + 2048) }))).toBe('EINVAL');
    expect(f.ctx.ioas(f.ioasId).mappings).toEqual(before);
  });

  it('CHECK_EXTENSION: DMA_CC_IOMMU without a compatibility IOAS → ENODEV; UPDATE_VADDR, NOIOMMU, nesting → 0', () => {
    const f = iommufdFixture();
    expect(f.err(VFIO_CHECK_EXTENSION, 4)).toBe('ENODEV');
    for (const ext of [6, 8, 10, 99]) expect(f.ioctl(VFIO_CHECK_EXTENSION, ext)).toBe(0);
    const g = vfioCompatMockDomain(VFIO_TYPE1v2_IOMMU);
    expect(g.ioctl(VFIO_CHECK_EXTENSION, 4)).toBe(1);
  });
});
