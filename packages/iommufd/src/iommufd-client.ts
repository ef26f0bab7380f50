import type { FieldDecl, Process, StructLayout, StructValue } from '@vfio-sim/platform';
import {
  IOMMU_HWPT_DATA_SELFTEST,
  IOMMU_TEST_CMD,
  IOMMU_TEST_OP_DIRTY,
  IOMMU_TEST_OP_MOCK_DOMAIN,
  IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
  iommu_hwpt_selftest,
  iommu_test_cmd_dirty,
  iommu_test_cmd_mock_domain,
} from './iommufd-selftest.js';
import * as u from './uapi.js';

/** Options of {@link IommufdClient.ioasMap}. */
export interface IoasMapOptions {
  /** Place the mapping at this IOVA (IOMMU_IOAS_MAP_FIXED_IOVA); otherwise the kernel picks one. */
  readonly iova?: number;
  /** Default true / true. */
  readonly readable?: boolean;
  readonly writeable?: boolean;
}

/**
 * The VMM's typed view of an iommufd file descriptor: each method builds the command struct in the
 * process's memory, issues the ioctl and decodes the answer; the struct (and any array it points to) is
 * freed before the method returns, so no call leaves anything on the process's heap. Errors are the
 * kernel's (KernelError).
 *
 * Kernel counterpart: none — this is what QEMU's `iommufd_backend_*` helpers (backends/iommufd.c) and
 * the selftests' `_test_ioctl_*` wrappers do with libc `ioctl()`.
 */
export class IommufdClient {
  constructor(
    readonly process: Process,
    readonly fd: number,
  ) {}

  /** IOMMU_IOAS_ALLOC: returns the IOAS id. */
  ioasAlloc(): number {
    return this.call(u.IOMMU_IOAS_ALLOC, u.iommu_ioas_alloc, { size: 12, flags: 0, out_ioas_id: 0 })
      .out_ioas_id;
  }

  /** IOMMU_IOAS_MAP of `length` bytes at user address `userVa`: returns the IOVA. */
  ioasMap(ioasId: number, userVa: number, length: number, options: IoasMapOptions = {}): number {
    const flags =
      (options.iova !== undefined ? u.IOMMU_IOAS_MAP_FIXED_IOVA : 0) |
      ((options.readable ?? true) ? u.IOMMU_IOAS_MAP_READABLE : 0) |
      ((options.writeable ?? true) ? u.IOMMU_IOAS_MAP_WRITEABLE : 0);
    const out = this.call(u.IOMMU_IOAS_MAP, u.iommu_ioas_map, {
      size: 40,
      flags,
      ioas_id: ioasId,
      __reserved: 0,
      user_va: BigInt(userVa),
      length: BigInt(length),
      iova: BigInt(options.iova ?? 0),
    });
    return Number(out.iova);
  }

  /** IOMMU_IOAS_UNMAP: returns the bytes unmapped. `length` as a bigint allows U64_MAX (unmap all). */
  ioasUnmap(ioasId: number, iova: number, length: number | bigint): number {
    const out = this.call(u.IOMMU_IOAS_UNMAP, u.iommu_ioas_unmap, {
      size: 24,
      ioas_id: ioasId,
      iova: BigInt(iova),
      length: BigInt(length),
    });
    return Number(out.length);
  }

  /** IOMMU_IOAS_IOVA_RANGES: the allowed ranges and the IOVA alignment. */
  ioasIovaRanges(ioasId: number): { ranges: Array<{ start: bigint; last: bigint }>; alignment: number } {
    const mm = this.process.mm;
    const arr = mm.alloc(u.iommu_iova_range.size * 8, 8);
    try {
      const out = this.call(u.IOMMU_IOAS_IOVA_RANGES, u.iommu_ioas_iova_ranges, {
        size: 32,
        ioas_id: ioasId,
        num_iovas: 8,
        __reserved: 0,
        allowed_iovas: BigInt(arr),
        out_iova_alignment: 0n,
      });
      const ranges = [];
      for (let i = 0; i < out.num_iovas; i++)
        ranges.push(mm.readStruct(u.iommu_iova_range, arr + u.iommu_iova_range.size * i));
      return { ranges, alignment: Number(out.out_iova_alignment) };
    } finally {
      mm.free(arr);
    }
  }

  /** IOMMU_OPTION HUGE_PAGES set on an IOAS. */
  setHugePages(ioasId: number, enable: boolean): void {
    this.call(u.IOMMU_OPTION, u.iommu_option, {
      size: 24,
      option_id: u.IOMMU_OPTION_HUGE_PAGES,
      op: u.IOMMU_OPTION_OP_SET,
      __reserved: 0,
      object_id: ioasId,
      val64: enable ? 1n : 0n,
    });
  }

  /** IOMMU_HWPT_ALLOC on an IOAS for a device: returns the HWPT id. */
  hwptAlloc(devId: number, ioasId: number, flags = 0): number {
    return this.hwptAllocData(devId, ioasId, flags, u.IOMMU_HWPT_DATA_NONE, 0, 0);
  }

  /**
   * IOMMU_HWPT_ALLOC of a selftest mock HWPT with `struct iommu_hwpt_selftest { iotlb, pagetable_type }`
   * (the selftests' `test_cmd_hwpt_alloc_iommupt`): returns the HWPT id.
   */
  hwptAllocIommupt(devId: number, ioasId: number, flags: number, pagetableType: number): number {
    const mm = this.process.mm;
    const cfg = mm.pushStruct(iommu_hwpt_selftest, { iotlb: 0, pagetable_type: pagetableType });
    try {
      return this.hwptAllocData(
        devId,
        ioasId,
        flags,
        IOMMU_HWPT_DATA_SELFTEST,
        cfg,
        iommu_hwpt_selftest.size,
      );
    } finally {
      mm.free(cfg);
    }
  }

  /**
   * IOMMU_TEST_CMD IOMMU_TEST_OP_MOCK_DOMAIN(_FLAGS) (`test_cmd_mock_domain(_flags)`): a mock device
   * bound and attached to `ptId`; returns the selftest object, HWPT and device ids.
   */
  mockDomain(ptId: number, devFlags?: number): { stdevId: number; hwptId: number; idevId: number } {
    const out = this.call(IOMMU_TEST_CMD, iommu_test_cmd_mock_domain, {
      size: iommu_test_cmd_mock_domain.size,
      op: devFlags === undefined ? IOMMU_TEST_OP_MOCK_DOMAIN : IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
      id: ptId,
      __reserved: 0,
      out_stdev_id: 0,
      out_hwpt_id: 0,
      out_idev_id: 0,
      dev_flags: devFlags ?? 0,
      __union_rest: new Array(32).fill(0),
      last: 0,
      __tail: 0,
    });
    return { stdevId: out.out_stdev_id, hwptId: out.out_hwpt_id, idevId: out.out_idev_id };
  }

  /**
   * IOMMU_TEST_CMD IOMMU_TEST_OP_DIRTY (`test_cmd_mock_domain_set_dirty`): dirty the page at
   * `iova + i * pageSize` for every set bit `i` of the bitmap at user address `bitmap`; returns
   * `out_nr_dirty`.
   */
  mockDomainSetDirty(hwptId: number, length: number, iova: number, pageSize: number, bitmap: number): number {
    const out = this.call(IOMMU_TEST_CMD, iommu_test_cmd_dirty, {
      size: iommu_test_cmd_dirty.size,
      op: IOMMU_TEST_OP_DIRTY,
      id: hwptId,
      __reserved: 0,
      flags: 0,
      iova: BigInt(iova),
      length: BigInt(length),
      page_size: BigInt(pageSize),
      uptr: BigInt(bitmap),
      out_nr_dirty: 0n,
      last: 0,
    });
    return Number(out.out_nr_dirty);
  }

  /** IOMMU_VFIO_IOAS SET: make `ioasId` the VFIO compatibility IOAS. */
  vfioIoasSet(ioasId: number): void {
    this.call(u.IOMMU_VFIO_IOAS, u.iommu_vfio_ioas, {
      size: 12,
      ioas_id: ioasId,
      op: u.IOMMU_VFIO_IOAS_SET,
      __reserved: 0,
    });
  }

  /** IOMMU_HWPT_ALLOC with driver data of `dataType` at `dataUptr` (`dataLen` bytes). */
  private hwptAllocData(
    devId: number,
    ioasId: number,
    flags: number,
    dataType: number,
    dataUptr: number,
    dataLen: number,
  ): number {
    return this.call(u.IOMMU_HWPT_ALLOC, u.iommu_hwpt_alloc, {
      size: 48,
      flags,
      dev_id: devId,
      pt_id: ioasId,
      out_hwpt_id: 0,
      __reserved: 0,
      data_type: dataType,
      data_len: dataLen,
      data_uptr: BigInt(dataUptr),
      fault_id: 0,
      __reserved2: 0,
    }).out_hwpt_id;
  }

  /** IOMMU_GET_HW_INFO: the info type and the capability bits (`IOMMU_HW_CAP_*`). */
  getHwInfo(devId: number): { dataType: number; capabilities: bigint } {
    const out = this.call(u.IOMMU_GET_HW_INFO, u.iommu_hw_info, {
      size: 40,
      flags: 0,
      dev_id: devId,
      data_len: 0,
      data_uptr: 0n,
      out_data_type: 0,
      out_max_pasid_log2: 0,
      __reserved: [0, 0, 0],
      out_capabilities: 0n,
    });
    return { dataType: out.out_data_type, capabilities: out.out_capabilities };
  }

  /** IOMMU_HWPT_SET_DIRTY_TRACKING. */
  setDirtyTracking(hwptId: number, enable: boolean): void {
    this.call(u.IOMMU_HWPT_SET_DIRTY_TRACKING, u.iommu_hwpt_set_dirty_tracking, {
      size: 16,
      flags: enable ? u.IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
      hwpt_id: hwptId,
      __reserved: 0,
    });
  }

  /**
   * IOMMU_HWPT_GET_DIRTY_BITMAP into the caller's bitmap at user address `data` (bits are OR-ed in:
   * zero it first). `flags` may be IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR.
   */
  getDirtyBitmap(
    hwptId: number,
    iova: number,
    length: number,
    pageSize: number,
    data: number,
    flags = 0,
  ): void {
    this.call(u.IOMMU_HWPT_GET_DIRTY_BITMAP, u.iommu_hwpt_get_dirty_bitmap, {
      size: 48,
      hwpt_id: hwptId,
      flags,
      __reserved: 0,
      iova: BigInt(iova),
      length: BigInt(length),
      page_size: BigInt(pageSize),
      data: BigInt(data),
    });
  }

  /** IOMMU_DESTROY. */
  destroy(id: number): void {
    this.call(u.IOMMU_DESTROY, u.iommu_destroy, { size: 8, id });
  }

  /** Put `value` in user memory, `ioctl(fd, cmd, &struct)`, read the struct back, free it. */
  private call<F extends readonly FieldDecl[]>(
    cmd: number,
    layout: StructLayout<F>,
    value: StructValue<F>,
  ): StructValue<F> {
    const mm = this.process.mm;
    const va = mm.pushStruct(layout, value);
    try {
      this.process.ioctl(this.fd, cmd, va);
      return mm.readStruct(layout, va);
    } finally {
      mm.free(va);
    }
  }
}
