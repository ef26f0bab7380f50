/**
 * tools/testing/selftests/iommu/iommufd.c's `FIXTURE(iommufd_dirty_tracking)`, mirrored step for step
 * on the mock IOMMU (newest: MOCK_PAGE_SIZE 2048, iommupt mock with MOCK_IOMMUPT_DEFAULT / _HUGE HWPTs,
 * the fixture IOAS with IOMMU_OPTION_HUGE_PAGES = 0 for the non-huge variants), then the error paths of
 * the IOMMU_TEST_CMD ops and of IOMMU_HWPT_DATA_SELFTEST that the mirror relies on.
 */
import { errnoOf, GuestMemory, PAGE_SIZE, Process, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { IommuDevice, IommuHw } from './iommu-hw.js';
import { IommufdClient } from './iommufd-client.js';
import { openIommufd } from './iommufd-ctx.js';
import {
  IOMMU_HW_INFO_TYPE_SELFTEST,
  IOMMU_TEST_CMD,
  iommu_test_cmd_dirty,
  MOCK_APERTURE_START,
  MOCK_FLAGS_DEVICE_NO_DIRTY,
  MOCK_HUGE_PAGE_SIZE,
  MOCK_IOMMUPT_AMDV1,
  MOCK_IOMMUPT_DEFAULT,
  MOCK_IOMMUPT_HUGE,
  MOCK_PAGE_SIZE,
} from './iommufd-selftest.js';
import * as u from './uapi.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BITS_PER_BYTE = 8;
const divRoundUp = (n: number, d: number) => Math.ceil(n / d);

/** `FIXTURE_VARIANT_ADD(iommufd_dirty_tracking, …)` of the newest selftest. */
const VARIANTS = [
  { name: 'domain_dirty8k', bufferSize: 8 * KiB, hugepages: false }, // half of an u8 index bitmap
  { name: 'domain_dirty16k', bufferSize: 16 * KiB, hugepages: false }, // one u8 index bitmap
  { name: 'domain_dirty64k', bufferSize: 64 * KiB, hugepages: false }, // one u32 index bitmap
  { name: 'domain_dirty128k', bufferSize: 128 * KiB, hugepages: false }, // one u64 index bitmap
  { name: 'domain_dirty320k', bufferSize: 320 * KiB, hugepages: false }, // two u64 index and trailing end bitmap
  { name: 'domain_dirty64M', bufferSize: 64 * MiB, hugepages: false }, // 4K bitmap (64M IOVA range)
  { name: 'domain_dirty64M_huge', bufferSize: 64 * MiB, hugepages: true },
  { name: 'domain_dirty128M', bufferSize: 128 * MiB, hugepages: false }, // 8K bitmap (128M IOVA range)
  { name: 'domain_dirty128M_huge', bufferSize: 128 * MiB, hugepages: true },
] as const;
type Variant = (typeof VARIANTS)[number];

/**
 * `FIXTURE_SETUP(iommufd_dirty_tracking)`: /dev/iommu, the buffer, a bitmap of buffer_size / MOCK_PAGE_SIZE
 * bits plus a CPU page of slack (page aligned), an IOAS — HUGE_PAGES off unless the variant is huge
 * ("the page size fed into the iommu page tables [must match] the size the dirty logic expects") — and a
 * mock device attached to it.
 */
function fixtureSetup(variant: Variant) {
  const mm = new UserMemory(64 * KiB);
  const proc = new Process(mm);
  const file = openIommufd();
  const fd = proc.install(file);
  const client = new IommufdClient(proc, fd);
  const buffer = mm.mmap(new GuestMemory(variant.bufferSize));
  const pageSize = MOCK_PAGE_SIZE;
  const bitmapSize = variant.bufferSize / pageSize; // bits
  const size = divRoundUp(bitmapSize, BITS_PER_BYTE);
  const bitmap = mm.mmap(new GuestMemory(Math.ceil((size + PAGE_SIZE) / PAGE_SIZE) * PAGE_SIZE));
  expect(bitmap % PAGE_SIZE).toBe(0);
  const ioasId = client.ioasAlloc();
  if (!variant.hugepages) client.setHugePages(ioasId, false);
  const { stdevId, hwptId, idevId } = client.mockDomain(ioasId);
  return {
    mm,
    proc,
    fd,
    file,
    ctx: file.privateData,
    client,
    buffer,
    pageSize,
    bitmapSize,
    bitmap,
    ioasId,
    stdevId,
    hwptId,
    idevId,
  };
}
type Self = ReturnType<typeof fixtureSetup>;

const errno = (fn: () => unknown) => errnoOf(fn);
/** The user bitmap at `bitmap` as bytes (`nbits` bits). */
const readBits = (self: Self, bitmap: number, nbits: number) =>
  self.mm.copyFromUser(bitmap, divRoundUp(nbits, BITS_PER_BYTE));
const testBit = (bits: Uint8Array, i: number) => ((bits[i >> 3]! >> (i & 7)) & 1) === 1;

/**
 * `_test_mock_dirty_bitmaps`: dirty the first `npte` mock pages of every `2 * npte`-page group through
 * IOMMU_TEST_OP_DIRTY (expect `nr` dirtied), read them with GET_DIRTY_BITMAP (expect exactly the first
 * half of every group), read again (expect the same with NO_CLEAR, nothing otherwise).
 */
function testMockDirtyBitmaps(
  self: Self,
  hwptId: number,
  length: number,
  iova: number,
  pageSize: number,
  ptePageSize: number,
  bitmap: number,
  nbits: number,
  flags: number,
): void {
  const npte = ptePageSize / pageSize;
  const pteset = 2 * npte;
  const nr = Math.floor(nbits / pteset) || 1;
  const bitmapSize = divRoundUp(nbits, BITS_PER_BYTE);
  const zero = () => self.mm.copyToUser(bitmap, new Uint8Array(bitmapSize));

  // Mark all even bits as dirty in the mock domain.
  const marks = new Uint8Array(bitmapSize);
  for (let i = 0; i < nbits; i += pteset) marks[i >> 3]! |= 1 << (i & 7);
  self.mm.copyToUser(bitmap, marks);
  expect(self.client.mockDomainSetDirty(hwptId, length, iova, pageSize, bitmap)).toBe(nr);

  // Expect all even bits as dirty in the user bitmap.
  zero();
  self.client.getDirtyBitmap(hwptId, iova, length, pageSize, bitmap, flags);
  expectGroups(readBits(self, bitmap, nbits), nbits, npte, true);

  zero();
  self.client.getDirtyBitmap(hwptId, iova, length, pageSize, bitmap, flags);
  // It as read already -- expect all zeroes (unless NO_CLEAR).
  expectGroups(
    readBits(self, bitmap, nbits),
    nbits,
    npte,
    (flags & u.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) !== 0,
  );
}

/** Every group of `2 * npte` bits: the first `npte` set iff `dirty`, the rest clear (one assertion per group). */
function expectGroups(bits: Uint8Array, nbits: number, npte: number, dirty: boolean): void {
  for (let i = 0; i < nbits; i += 2 * npte) {
    const got = Array.from({ length: 2 * npte }, (_, j) => testBit(bits, i + j));
    const want = Array.from({ length: 2 * npte }, (_, j) => j < npte && dirty);
    if (got.some((g, j) => g !== want[j])) expect(got, `bits ${i}..${i + 2 * npte - 1}`).toEqual(want);
  }
}

/** The body shared by get_dirty_bitmap and get_dirty_bitmap_no_clear. */
function getDirtyBitmapTest(variant: Variant, flags: number): void {
  const self = fixtureSetup(variant);
  const pageSize = variant.hugepages ? MOCK_HUGE_PAGE_SIZE : MOCK_PAGE_SIZE;
  const ioasId = self.ioasId;
  self.client.ioasMap(ioasId, self.buffer, variant.bufferSize, { iova: MOCK_APERTURE_START });
  const hwptId = self.client.hwptAllocIommupt(
    self.idevId,
    ioasId,
    u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
    variant.hugepages ? MOCK_IOMMUPT_HUGE : MOCK_IOMMUPT_DEFAULT,
  );
  self.client.setDirtyTracking(hwptId, true);
  const args = [variant.bufferSize, MOCK_APERTURE_START, self.pageSize, pageSize] as const;
  testMockDirtyBitmaps(self, hwptId, ...args, self.bitmap, self.bitmapSize, flags);
  // PAGE_SIZE unaligned bitmap.
  testMockDirtyBitmaps(self, hwptId, ...args, self.bitmap + MOCK_PAGE_SIZE, self.bitmapSize, flags);
  // u64 unaligned bitmap.
  testMockDirtyBitmaps(self, hwptId, ...args, self.bitmap + 0xff1, self.bitmapSize, flags);
  self.client.destroy(hwptId);
}

describe.each(VARIANTS)('iommufd_dirty_tracking, variant $name', (variant) => {
  it('TEST_F(iommufd_dirty_tracking, enforce_dirty)', () => {
    const self = fixtureSetup(variant);
    const devFlags = MOCK_FLAGS_DEVICE_NO_DIRTY;
    // Regular case.
    const hwptId = self.client.hwptAlloc(self.idevId, self.ioasId, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    const { stdevId } = self.client.mockDomain(hwptId);
    const before = self.ctx.objectIds();
    expect(errno(() => self.client.mockDomain(hwptId, devFlags))).toBe('EINVAL');
    expect(self.ctx.objectIds()).toEqual(before);
    self.client.destroy(stdevId);
    self.client.destroy(hwptId);
    // IOMMU device does not support dirty tracking.
    const ioasId = self.client.ioasAlloc();
    const noDirty = self.client.mockDomain(ioasId, devFlags);
    expect(
      errno(() => self.client.hwptAlloc(noDirty.idevId, ioasId, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING)),
    ).toBe('EOPNOTSUPP');
    self.client.destroy(noDirty.stdevId);
  });

  it('TEST_F(iommufd_dirty_tracking, set_dirty_tracking)', () => {
    const self = fixtureSetup(variant);
    const hwptId = self.client.hwptAlloc(self.idevId, self.ioasId, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    const { stdevId } = self.client.mockDomain(hwptId);
    self.client.setDirtyTracking(hwptId, true);
    expect(self.ctx.hwpt(hwptId).domain.dirtyTrackingEnabled).toBe(true);
    self.client.setDirtyTracking(hwptId, false);
    expect(self.ctx.hwpt(hwptId).domain.dirtyTrackingEnabled).toBe(false);
    self.client.destroy(stdevId);
    self.client.destroy(hwptId);
  });

  it('TEST_F(iommufd_dirty_tracking, device_dirty_capability)', () => {
    const self = fixtureSetup(variant);
    const hwptId = self.client.hwptAlloc(self.idevId, self.ioasId, 0);
    const { stdevId } = self.client.mockDomain(hwptId);
    const info = self.client.getHwInfo(self.idevId);
    expect(info.dataType).toBe(IOMMU_HW_INFO_TYPE_SELFTEST);
    expect(info.capabilities & BigInt(u.IOMMU_HW_CAP_DIRTY_TRACKING)).toBe(
      BigInt(u.IOMMU_HW_CAP_DIRTY_TRACKING),
    );
    self.client.destroy(stdevId);
    self.client.destroy(hwptId);
  });

  it('TEST_F(iommufd_dirty_tracking, get_dirty_bitmap)', () => {
    getDirtyBitmapTest(variant, 0);
  });

  it('TEST_F(iommufd_dirty_tracking, get_dirty_bitmap_no_clear)', () => {
    getDirtyBitmapTest(variant, u.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
  });

  it('unmap-and-read: GET_DIRTY_BITMAP with NO_CLEAR, then IOMMU_IOAS_UNMAP (the idiom NO_CLEAR exists for; no selftest of its own)', () => {
    const self = fixtureSetup(variant);
    const pte = variant.hugepages ? MOCK_HUGE_PAGE_SIZE : MOCK_PAGE_SIZE;
    self.client.ioasMap(self.ioasId, self.buffer, variant.bufferSize, { iova: MOCK_APERTURE_START });
    const hwptId = self.client.hwptAllocIommupt(
      self.idevId,
      self.ioasId,
      u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
      variant.hugepages ? MOCK_IOMMUPT_HUGE : MOCK_IOMMUPT_DEFAULT,
    );
    self.client.setDirtyTracking(hwptId, true);
    const nbits = self.bitmapSize;
    const bytes = divRoundUp(nbits, BITS_PER_BYTE);
    // The device dirties the last mock page before the unmap.
    const last = new Uint8Array(bytes);
    last[(nbits - 1) >> 3] = 1 << ((nbits - 1) & 7);
    self.mm.copyToUser(self.bitmap, last);
    expect(
      self.client.mockDomainSetDirty(
        hwptId,
        variant.bufferSize,
        MOCK_APERTURE_START,
        MOCK_PAGE_SIZE,
        self.bitmap,
      ),
    ).toBe(1);
    // Read without clearing (the unmap that follows flushes the IOTLB anyway) …
    self.mm.copyToUser(self.bitmap, new Uint8Array(bytes));
    self.client.getDirtyBitmap(
      hwptId,
      MOCK_APERTURE_START,
      variant.bufferSize,
      MOCK_PAGE_SIZE,
      self.bitmap,
      u.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
    );
    const bits = readBits(self, self.bitmap, nbits);
    const set = Array.from({ length: nbits }, (_, i) => i).filter((i) => testBit(bits, i));
    const leafBits = pte / MOCK_PAGE_SIZE;
    expect(set).toEqual(Array.from({ length: leafBits }, (_, k) => nbits - leafBits + k));
    // … then unmap: the dirty bits go with the IOPTEs. A GET over the hole still succeeds, with nothing.
    expect(self.client.ioasUnmap(self.ioasId, MOCK_APERTURE_START, variant.bufferSize)).toBe(
      variant.bufferSize,
    );
    self.mm.copyToUser(self.bitmap, new Uint8Array(bytes));
    self.client.getDirtyBitmap(hwptId, MOCK_APERTURE_START, variant.bufferSize, MOCK_PAGE_SIZE, self.bitmap);
    expect([...self.mm.copyFromUser(self.bitmap, bytes)].every((b) => b === 0)).toBe(true);
    // Mapped again, the range starts clean.
    self.client.ioasMap(self.ioasId, self.buffer, variant.bufferSize, { iova: MOCK_APERTURE_START });
    self.client.getDirtyBitmap(hwptId, MOCK_APERTURE_START, variant.bufferSize, MOCK_PAGE_SIZE, self.bitmap);
    expect([...self.mm.copyFromUser(self.bitmap, bytes)].every((b) => b === 0)).toBe(true);
  });
});

describe('IOMMU_TEST_OP_DIRTY (iommufd_test_dirty) error paths: errno, and no dirty bit set', () => {
  function dirtyBed() {
    const self = fixtureSetup(VARIANTS[2]);
    self.client.ioasMap(self.ioasId, self.buffer, 64 * KiB, { iova: MOCK_APERTURE_START });
    const hwptId = self.client.hwptAllocIommupt(
      self.idevId,
      self.ioasId,
      u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
      0,
    );
    self.client.setDirtyTracking(hwptId, true);
    self.mm.copyToUser(self.bitmap, new Uint8Array(4).fill(0xff));
    const noneDirty = () =>
      self.ctx
        .hwpt(hwptId)
        .domain.pgtable.leaves()
        .every((l) => !l.dirty);
    return { self, hwptId, noneDirty };
  }

  it.each([
    ['`!page_size`', { pageSize: 0 }],
    ['`!length`', { length: 0 }],
    ['`iova % page_size`', { iova: MOCK_APERTURE_START + 1024 }],
    ['`length % page_size`', { length: 64 * KiB + 1024 }],
    ['`!uptr`', { uptr: 0 }],
  ])('%s → EINVAL', (_n, o) => {
    const { self, hwptId, noneDirty } = dirtyBed();
    const a = {
      length: 64 * KiB,
      iova: MOCK_APERTURE_START,
      pageSize: MOCK_PAGE_SIZE,
      uptr: self.bitmap,
      ...o,
    };
    expect(errno(() => self.client.mockDomainSetDirty(hwptId, a.length, a.iova, a.pageSize, a.uptr))).toBe(
      'EINVAL',
    );
    expect(noneDirty()).toBe(true);
  });

  it('get_md_pagetable: no such paging HWPT → ENOENT; a HWPT of another IOMMU driver → EINVAL', () => {
    const { self, noneDirty } = dirtyBed();
    expect(
      errno(() =>
        self.client.mockDomainSetDirty(999, 64 * KiB, MOCK_APERTURE_START, MOCK_PAGE_SIZE, self.bitmap),
      ),
    ).toBe('ENOENT');
    const vf = self.ctx.bindDevice(new IommuDevice(new IommuHw({ format: 'amd-v1' }), 'vf'));
    const amd = self.client.hwptAlloc(vf, self.client.ioasAlloc(), u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    self.client.setDirtyTracking(amd, true);
    expect(errno(() => self.client.mockDomainSetDirty(amd, 64 * KiB, 0, MOCK_PAGE_SIZE, self.bitmap))).toBe(
      'EINVAL',
    );
    expect(noneDirty()).toBe(true);
  });

  it('`!(mock->flags & MOCK_DIRTY_TRACK)` (tracking off) → EINVAL', () => {
    const { self, hwptId, noneDirty } = dirtyBed();
    self.client.setDirtyTracking(hwptId, false);
    expect(
      errno(() =>
        self.client.mockDomainSetDirty(hwptId, 64 * KiB, MOCK_APERTURE_START, MOCK_PAGE_SIZE, self.bitmap),
      ),
    ).toBe('EINVAL');
    expect(noneDirty()).toBe(true);
  });

  it('copy_from_user of the page bitmap faults → EFAULT', () => {
    const { self, hwptId, noneDirty } = dirtyBed();
    expect(
      errno(() =>
        self.client.mockDomainSetDirty(hwptId, 64 * KiB, MOCK_APERTURE_START, MOCK_PAGE_SIZE, 0x10),
      ),
    ).toBe('EFAULT');
    expect(noneDirty()).toBe(true);
  });

  it('unmapped pages are counted too (set_dirty returns -ENOENT, which is ignored)', () => {
    const { self, hwptId } = dirtyBed();
    expect(
      self.client.mockDomainSetDirty(
        hwptId,
        128 * KiB,
        MOCK_APERTURE_START + 64 * KiB,
        MOCK_PAGE_SIZE,
        self.bitmap,
      ),
    ).toBe(32);
  });

  it('an op the model does not implement → EOPNOTSUPP', () => {
    const { self } = dirtyBed();
    const va = self.mm.alloc(72, 8);
    self.mm.copyToUser(
      va,
      iommu_test_cmd_dirty.encode({ ...iommu_test_cmd_dirty.decode(new Uint8Array(72)), size: 72, op: 1 }),
    );
    expect(errno(() => self.proc.ioctl(self.fd, IOMMU_TEST_CMD, va))).toBe('EOPNOTSUPP');
  });
});

describe('IOMMU_TEST_OP_MOCK_DOMAIN and IOMMU_HWPT_DATA_SELFTEST error paths: nothing left behind', () => {
  it('mock_dev_create: unknown device flags → EINVAL', () => {
    const self = fixtureSetup(VARIANTS[0]);
    const before = self.ctx.objectIds();
    expect(errno(() => self.client.mockDomain(self.ioasId, 1 << 5))).toBe('EINVAL');
    expect(self.ctx.objectIds()).toEqual(before);
  });

  it('the attach target does not exist → ENOENT', () => {
    const self = fixtureSetup(VARIANTS[0]);
    const before = self.ctx.objectIds();
    expect(errno(() => self.client.mockDomain(999))).toBe('ENOENT');
    expect(self.ctx.objectIds()).toEqual(before);
  });

  it('IOMMU_DESTROY of the selftest object unbinds the device (its automatic HWPT goes too)', () => {
    const self = fixtureSetup(VARIANTS[0]);
    self.client.destroy(self.stdevId);
    expect(self.ctx.objectIds()).toEqual([{ id: self.ioasId, type: 'ioas' }]);
  });

  it.each([
    ['data_len below offsetofend(iotlb) → EINVAL', 2, 0, 'EINVAL'],
    ['non-zero bytes past the kernel struct → E2BIG', 16, 1, 'E2BIG'],
  ])('iommu_copy_struct_from_user: %s', (_n, len, tail, want) => {
    const self = fixtureSetup(VARIANTS[0]);
    const data = self.mm.alloc(16, 8);
    self.mm.copyToUser(data + 12, new Uint8Array([tail]));
    const hw = self.mm.pushStruct(u.iommu_hwpt_alloc, {
      size: 48,
      flags: 0,
      dev_id: self.idevId,
      pt_id: self.ioasId,
      out_hwpt_id: 0,
      __reserved: 0,
      data_type: 0xdead,
      data_len: len,
      data_uptr: BigInt(data),
      fault_id: 0,
      __reserved2: 0,
    });
    const before = self.ctx.objectIds();
    expect(errno(() => self.proc.ioctl(self.fd, u.IOMMU_HWPT_ALLOC, hw))).toBe(want);
    expect(self.ctx.objectIds()).toEqual(before);
  });

  it('pagetable_type MOCK_IOMMUPT_AMDV1 (not modelled) → EOPNOTSUPP; selftest data for a vendor IOMMU → EOPNOTSUPP', () => {
    const self = fixtureSetup(VARIANTS[0]);
    const before = self.ctx.objectIds();
    expect(errno(() => self.client.hwptAllocIommupt(self.idevId, self.ioasId, 0, MOCK_IOMMUPT_AMDV1))).toBe(
      'EOPNOTSUPP',
    );
    expect(self.ctx.objectIds()).toEqual(before);
    const vf = self.ctx.bindDevice(new IommuDevice(new IommuHw({ format: 'vtd-ss' }), 'vf'));
    expect(errno(() => self.client.hwptAllocIommupt(vf, self.ioasId, 0, MOCK_IOMMUPT_DEFAULT))).toBe(
      'EOPNOTSUPP',
    );
  });
});
