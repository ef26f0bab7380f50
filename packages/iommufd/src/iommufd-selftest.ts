import { defineStruct, KernelError, type UserMemory } from '@vfio-sim/platform';
import { newIoPtWalk } from './io-pgtable.js';
import type { IommuDomain, IommuDomainAllocOptions } from './iommu-domain.js';
import { IommuDevice, IommuHw } from './iommu-hw.js';
import type { IommufdCtx } from './iommufd-ctx.js';
import { copyCmdFromUser, copyCmdToUser } from './user-struct.js';

/**
 * The iommufd selftest's kernel side: the mock IOMMU, its devices and the IOMMU_TEST_CMD ioctl
 * (CONFIG_IOMMUFD_TEST), as far as tools/testing/selftests/iommu's dirty-tracking and VFIO
 * compatibility tests use them.
 *
 * Kernel counterpart: drivers/iommu/iommufd/selftest.c and iommufd_test.h (newest: the mock domain is a
 * generic_pt AMD v1 table with a 2 KiB granule, `pagetable_type` chosen at HWPT allocation).
 */

/** First and last IOVA of a MOCK_IOMMUPT_DEFAULT domain's aperture (16 MiB … 2 GiB - 1). */
export const MOCK_APERTURE_START = 2 ** 24;
/** The last IOVA of a MOCK_IOMMUPT_DEFAULT domain's aperture (2 GiB − 1; drivers/iommu/iommufd/selftest.c). */
export const MOCK_APERTURE_LAST = 2 ** 31 - 1;
/** The mock IOMMU page: half a CPU page, so CPU page ≠ IOMMU page is exercised. */
export const MOCK_PAGE_SIZE = 2048;
/** The mock's huge leaf: 512 mock pages (1 MiB). */
export const MOCK_HUGE_PAGE_SIZE = 512 * MOCK_PAGE_SIZE;

/** `mock_dev_create` flags. */
export const MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0;
/** `MOCK_FLAGS_DEVICE_PASID` (iommufd_test.h): a mock device that supports PASID. */
export const MOCK_FLAGS_DEVICE_PASID = 1 << 2;

/** `struct iommu_hwpt_selftest.pagetable_type`. */
export const MOCK_IOMMUPT_DEFAULT = 0;
/** `MOCK_IOMMUPT_HUGE` (iommufd_test.h): a mock domain with 1 MiB huge leaves. */
export const MOCK_IOMMUPT_HUGE = 1;
/** `MOCK_IOMMUPT_AMDV1` (iommufd_test.h): a mock domain with the AMD v1 page sizes. */
export const MOCK_IOMMUPT_AMDV1 = 2;

/** IOMMU_HWPT_ALLOC `data_type` of `struct iommu_hwpt_selftest`. */
export const IOMMU_HWPT_DATA_SELFTEST = 0xdead;
/** IOMMU_GET_HW_INFO `out_data_type` of a mock device (`struct iommu_test_hw_info`). */
export const IOMMU_HW_INFO_TYPE_SELFTEST = 0xfeedbeef;
/** The mock's default IOTLB value (`struct iommu_hwpt_selftest.iotlb`). */
export const IOMMU_TEST_IOTLB_DEFAULT = 0xbadbeef;

/** `enum` of IOMMU_TEST_CMD ops (iommufd_test.h; ADD_RESERVED is 1). */
export const IOMMU_TEST_OP_ADD_RESERVED = 1;
/** `IOMMU_TEST_OP_MOCK_DOMAIN` (iommufd_test.h): create a mock device, bind it and attach it to an IOAS/HWPT. */
export const IOMMU_TEST_OP_MOCK_DOMAIN = 2;
/** `IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS` (iommufd_test.h): MOCK_DOMAIN with device flags (e.g. MOCK_FLAGS_DEVICE_NO_DIRTY). */
export const IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS = 12;
/** `IOMMU_TEST_OP_DIRTY` (iommufd_test.h): mark the mock domain's leaves in a range dirty per a user bitmap; returns how many it marked. */
export const IOMMU_TEST_OP_DIRTY = 13;

/** `IOMMU_TEST_CMD`: `_IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)`. */
export const IOMMU_TEST_CMD = 0x3ba0;

const HEADER = [
  { name: 'size', type: 'u32' },
  { name: 'op', type: 'u32' },
  { name: 'id', type: 'u32' },
  { name: '__reserved', type: 'u32' },
] as const;

/**
 * `struct iommu_test_cmd` seen through its `mock_domain_flags` member (the union is 48 bytes, the
 * trailing `__u32 last` sits at 64; `mock_domain` is the first three fields of it).
 */
export const iommu_test_cmd_mock_domain = defineStruct(
  'iommu_test_cmd',
  [
    ...HEADER,
    { name: 'out_stdev_id', type: 'u32' },
    { name: 'out_hwpt_id', type: 'u32' },
    { name: 'out_idev_id', type: 'u32' },
    { name: 'dev_flags', type: 'u32' },
    { name: '__union_rest', type: 'u8', count: 32 },
    { name: 'last', type: 'u32', offset: 64 },
    { name: '__tail', type: 'u32' },
  ],
  { size: 72 },
);

/** `struct iommu_test_cmd` seen through its `dirty` member. */
export const iommu_test_cmd_dirty = defineStruct(
  'iommu_test_cmd',
  [
    ...HEADER,
    { name: 'flags', type: 'u32' },
    { name: 'iova', type: 'u64', offset: 24 },
    { name: 'length', type: 'u64' },
    { name: 'page_size', type: 'u64' },
    { name: 'uptr', type: 'u64' },
    { name: 'out_nr_dirty', type: 'u64' },
    { name: 'last', type: 'u32', offset: 64 },
  ],
  { size: 72 },
);

/** `minsz` of IOMMU_TEST_CMD: `offsetofend(struct iommu_test_cmd, last)`. */
export const IOMMU_TEST_CMD_MINSZ = iommu_test_cmd_dirty.offsetOfEnd('last');

/** `struct iommu_hwpt_selftest` (IOMMU_HWPT_DATA_SELFTEST; minsz = offsetofend(iotlb) = 4). */
export const iommu_hwpt_selftest = defineStruct(
  'iommu_hwpt_selftest',
  [
    { name: 'iotlb', type: 'u32' },
    { name: 'pagetable_type', type: 'u32' },
  ],
  { size: 8 },
);

/** `struct iommu_test_hw_info`: what IOMMU_GET_HW_INFO reports for a mock device. */
export const iommu_test_hw_info = defineStruct(
  'iommu_test_hw_info',
  [
    { name: 'flags', type: 'u32' },
    { name: 'test_reg', type: 'u32' },
  ],
  { size: 8 },
);

let mockDevices = 0;

/**
 * `mock_dev_create`: a mock device on its own mock IOMMU. With MOCK_FLAGS_DEVICE_NO_DIRTY the IOMMU
 * has no IOMMU_CAP_DIRTY_TRACKING (dirty HWPTs cannot be allocated for it, nor can it attach to one).
 * The IOMMU's domains are MOCK_IOMMUPT_DEFAULT ones: aperture [MOCK_APERTURE_START, MOCK_APERTURE_LAST].
 * @throws KernelError EINVAL for unknown flags.
 */
export function mockDevCreate(devFlags = 0, name = `mock_dev${mockDevices}`): IommuDevice {
  if ((devFlags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID)) !== 0) {
    throw new KernelError('EINVAL', `mock device flags 0x${devFlags.toString(16)}`);
  }
  mockDevices++;
  const hw = new IommuHw({
    format: 'iommufd-mock',
    dirtyTracking: (devFlags & MOCK_FLAGS_DEVICE_NO_DIRTY) === 0,
    aperture: { start: MOCK_APERTURE_START, last: MOCK_APERTURE_LAST },
    name: `mock_iommu(${name})`,
  });
  return new IommuDevice(hw, name);
}

/**
 * The domain options a mock HWPT's `pagetable_type` selects (`mock_domain_alloc_pgtable`):
 * MOCK_IOMMUPT_DEFAULT keeps the mock aperture; MOCK_IOMMUPT_HUGE takes the table's whole aperture and
 * `pgsize_bitmap` = MOCK_HUGE_PAGE_SIZE | PAGE_SIZE ("userspace should only provide huge pages").
 * @throws KernelError EOPNOTSUPP for MOCK_IOMMUPT_AMDV1 (the real AMD v1 variant is not modelled) and
 *   unknown types.
 */
export function mockDomainAllocOptions(pagetableType: number, hw: IommuHw): IommuDomainAllocOptions {
  switch (pagetableType) {
    case MOCK_IOMMUPT_DEFAULT:
      return {};
    case MOCK_IOMMUPT_HUGE: {
      const g = hw.format.geometry;
      const last = 2 ** (g.granuleShift + 9 * g.levels) - 1;
      return { pgsizeBitmap: MOCK_HUGE_PAGE_SIZE | 4096, aperture: { start: 0, last } };
    }
    default:
      throw new KernelError('EOPNOTSUPP', `mock pagetable_type ${pagetableType}`);
  }
}

/**
 * `iommu_copy_struct_from_user(&cfg, user_data, IOMMU_HWPT_DATA_SELFTEST, iotlb)` of IOMMU_HWPT_ALLOC's
 * driver data: `data_len` below 4 → EINVAL, non-zero bytes past the 8 the kernel knows → E2BIG.
 * @throws KernelError EINVAL, E2BIG, EFAULT.
 */
export function copyHwptSelftestFromUser(
  mm: UserMemory,
  uptr: number,
  len: number,
): { iotlb: number; pagetable_type: number } {
  const min = iommu_hwpt_selftest.offsetOfEnd('iotlb');
  if (len < min) throw new KernelError('EINVAL', `iommu_hwpt_selftest: data_len ${len} < ${min}`);
  const k = iommu_hwpt_selftest.size;
  if (len > k && mm.copyFromUser(uptr + k, len - k).some((b) => b !== 0)) {
    throw new KernelError('E2BIG', 'iommu_hwpt_selftest: non-zero bytes past the kernel struct');
  }
  const bytes = new Uint8Array(k);
  bytes.set(mm.copyFromUser(uptr, Math.min(len, k)));
  return iommu_hwpt_selftest.decode(bytes);
}

/**
 * generic_pt's `set_dirty` (used by iommufd testing only): make the leaf translating `iova` write-dirty,
 * as the hardware would on a DMA write, without the IOTLB. Returns false where nothing is mapped
 * (-ENOENT, which IOMMU_TEST_OP_DIRTY ignores).
 */
export function mockSetDirty(domain: IommuDomain, iova: number): boolean {
  const w = newIoPtWalk();
  if (!domain.pgtable.walk(iova, w)) return false;
  domain.pgtable.markDirty(w.pte);
  return true;
}

/**
 * IOMMU_TEST_CMD: the selftest's multiplexed ioctl on `/dev/iommu`. Modelled ops:
 * - IOMMU_TEST_OP_MOCK_DOMAIN / _FLAGS (`iommufd_test_mock_domain`): create a mock device, bind it,
 *   attach it to `id` (an IOAS — through an automatic domain — or a HWPT); returns the selftest object
 *   id (IOMMU_DESTROY on it unbinds the device), the HWPT and the device id.
 * - IOMMU_TEST_OP_DIRTY (`iommufd_test_dirty`): for every set bit `i` of the user bitmap at `uptr`,
 *   make the leaf at `iova + i * page_size` dirty; `out_nr_dirty` counts the set bits.
 * Other ops → EOPNOTSUPP (the kernel's answer to an op it does not know).
 * @throws KernelError as each op documents.
 */
export function iommufdTest(ctx: IommufdCtx, mm: UserMemory, arg: number): number {
  const { cmd: head } = copyCmdFromUser(mm, arg, iommu_test_cmd_dirty, IOMMU_TEST_CMD_MINSZ);
  switch (head.op) {
    case IOMMU_TEST_OP_MOCK_DOMAIN:
    case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
      return testMockDomain(ctx, mm, arg, head.op === IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS);
    case IOMMU_TEST_OP_DIRTY:
      return testDirty(ctx, mm, arg);
    default:
      throw new KernelError('EOPNOTSUPP', `IOMMU_TEST_CMD op ${head.op} is not modelled`);
  }
}

function testMockDomain(ctx: IommufdCtx, mm: UserMemory, arg: number, withFlags: boolean): number {
  const { cmd, userSize } = copyCmdFromUser(mm, arg, iommu_test_cmd_mock_domain, IOMMU_TEST_CMD_MINSZ);
  const dev = mockDevCreate(withFlags ? cmd.dev_flags : 0);
  const ids = ctx.bindSelftestDevice(dev, cmd.id);
  cmd.out_stdev_id = ids.stdevId;
  cmd.out_hwpt_id = ids.hwptId;
  cmd.out_idev_id = ids.idevId;
  copyCmdToUser(mm, arg, iommu_test_cmd_mock_domain, cmd, userSize);
  return 0;
}

function testDirty(ctx: IommufdCtx, mm: UserMemory, arg: number): number {
  const { cmd, userSize } = copyCmdFromUser(mm, arg, iommu_test_cmd_dirty, IOMMU_TEST_CMD_MINSZ);
  const { iova, length, page_size: pageSize, uptr } = cmd;
  if (pageSize === 0n || length === 0n || iova % pageSize !== 0n || length % pageSize !== 0n || uptr === 0n) {
    throw new KernelError('EINVAL', 'TEST_OP_DIRTY: page_size, length, alignment or bitmap pointer');
  }
  // get_md_pagetable: a paging HWPT (ENOENT) of the mock driver (EINVAL).
  const domain = ctx.hwpt(cmd.id).domain;
  if (domain.hw.format.name !== 'iommufd-mock') {
    throw new KernelError('EINVAL', `HWPT ${cmd.id} is not a mock domain`);
  }
  if (!domain.dirtyTrackingEnabled) {
    throw new KernelError('EINVAL', `HWPT ${cmd.id}: dirty tracking is not enabled (MOCK_DIRTY_TRACK)`);
  }
  const max = Number(length / pageSize);
  const bits = mm.copyFromUser(Number(uptr), Math.ceil(max / 8));
  let count = 0;
  for (let i = 0; i < max; i++) {
    if (((bits[i >> 3]! >> (i & 7)) & 1) === 0) continue;
    mockSetDirty(domain, Number(iova + BigInt(i) * pageSize));
    count++;
  }
  cmd.out_nr_dirty = BigInt(count);
  copyCmdToUser(mm, arg, iommu_test_cmd_dirty, cmd, userSize);
  return 0;
}
