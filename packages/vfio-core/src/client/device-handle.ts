import type { FieldDecl } from '@vfio-sim/platform';
import {
  KernelError,
  MAP_SHARED,
  type MmioRegion,
  PAGE_SIZE,
  PROT_READ,
  PROT_WRITE,
  type Process,
  type StructLayout,
  type StructValue,
} from '@vfio-sim/platform';
import { VfioPciMapping } from '../pci-core/mapping.js';
import {
  vfio_device_attach_iommufd_pt,
  vfio_device_bind_iommufd,
  vfio_device_detach_iommufd_pt,
} from '../uapi/device-cdev.js';
import {
  VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
  VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
  VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
  VFIO_DEVICE_FEATURE_GET,
  VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
  VFIO_DEVICE_FEATURE_MIGRATION,
  VFIO_DEVICE_FEATURE_PROBE,
  VFIO_DEVICE_FEATURE_SET,
  vfio_device_feature,
  vfio_device_feature_dma_logging_control,
  vfio_device_feature_dma_logging_range,
  vfio_device_feature_dma_logging_report,
  vfio_device_feature_mig_data_size,
  vfio_device_feature_mig_state,
  vfio_device_feature_migration,
} from '../uapi/device-feature.js';
import { vfio_device_info } from '../uapi/device-info.js';
import {
  VFIO_DEVICE_ATTACH_IOMMUFD_PT,
  VFIO_DEVICE_BIND_IOMMUFD,
  VFIO_DEVICE_DETACH_IOMMUFD_PT,
  VFIO_DEVICE_FEATURE,
  VFIO_DEVICE_GET_INFO,
  VFIO_DEVICE_GET_REGION_INFO,
  VFIO_DEVICE_RESET,
} from '../uapi/ioctl.js';
import {
  VFIO_REGION_INFO_CAP_SPARSE_MMAP,
  VFIO_REGION_INFO_CAP_TYPE,
  VFIO_REGION_INFO_FLAG_CAPS,
  vfio_info_cap_header,
  vfio_region_info,
  vfio_region_info_cap_sparse_mmap,
  vfio_region_info_cap_type,
  vfio_region_sparse_mmap_area,
} from '../uapi/region-info.js';
import { VFIO_PCI_INDEX_TO_OFFSET } from '../uapi/regions.js';

/** VFIO_DEVICE_GET_INFO, decoded. */
export interface VfioDeviceInfo {
  readonly flags: number;
  readonly numRegions: number;
  readonly numIrqs: number;
}

/** One region-info capability, decoded (TYPE and SPARSE_MMAP get their fields; others keep raw bytes). */
export type VfioRegionCap =
  | {
      readonly id: typeof VFIO_REGION_INFO_CAP_TYPE;
      readonly version: number;
      readonly type: number;
      readonly subtype: number;
    }
  | {
      readonly id: typeof VFIO_REGION_INFO_CAP_SPARSE_MMAP;
      readonly version: number;
      readonly areas: readonly { offset: number; size: number }[];
    }
  | { readonly id: number; readonly version: number; readonly raw: Uint8Array };

/** VFIO_DEVICE_GET_REGION_INFO, decoded, with the capability chain. */
export interface VfioRegionInfo {
  readonly index: number;
  readonly flags: number;
  readonly size: number;
  /** Device-fd offset of the region (`index << 40`). */
  readonly offset: number;
  readonly caps: readonly VfioRegionCap[];
}

/** A mapping returned by {@link VfioDeviceHandle.mmap}: an MmioRegion that can be unmapped. */
export interface VfioUserMapping extends MmioRegion {
  /** False after {@link munmap}. */
  readonly isMapped: boolean;
  /** `munmap(2)`: drop the mapping; later accesses through it fail. */
  munmap(): void;
}

/** Result of {@link VfioDeviceHandle.ioctlStruct}. */
export interface IoctlStructResult<F extends readonly FieldDecl[]> {
  /** The ioctl's return value. */
  readonly ret: number;
  /** The struct as the kernel left it in user memory. */
  readonly out: StructValue<F>;
  /** All `bufSize` bytes of the argument buffer after the call (struct + trailing data such as caps). */
  readonly bytes: Uint8Array;
}

const SCRATCH = 64 * 1024;

/**
 * A VMM's open vfio device fd, ioctl-shaped: raw `ioctl(cmd, arg)` with user pointers, `ioctlStruct`
 * marshalling a {@link StructLayout} through the process's user memory, pread/pwrite at device-fd
 * offsets, mmap, and helpers for the common calls (what QEMU's hw/vfio does).
 *
 * Every call is a real system call on the process (so a closed handle fails with EBADF). Argument
 * buffers come from one scratch area allocated at open (no per-call allocation of user memory); the
 * DMA-logging range array and report bitmap are allocated for their call and freed after it.
 * {@link close} frees the scratch area too, so a handle leaves the process's heap as it found it.
 */
export class VfioDeviceHandle {
  private scratch: number;
  private scratchSize = SCRATCH;
  private readonly mappings = new Set<VfioUserMapping>();

  constructor(
    readonly process: Process,
    /** The device fd. */
    readonly fd: number,
    /** The name the device was opened by. */
    readonly name: string,
  ) {
    this.scratch = process.mm.alloc(SCRATCH, 8);
  }

  /** `ioctl(fd, cmd, arg)`: `arg` is a user pointer (or value). */
  ioctl(cmd: number, arg?: number): number;
  /** `ioctl(fd, cmd, &struct)` with the struct marshalled through user memory: see {@link ioctlStruct}. */
  ioctl<F extends readonly FieldDecl[]>(
    cmd: number,
    layout: StructLayout<F>,
    value: StructValue<F>,
    bufSize?: number,
  ): IoctlStructResult<F>;
  ioctl<F extends readonly FieldDecl[]>(
    cmd: number,
    arg?: number | StructLayout<F>,
    value?: StructValue<F>,
    bufSize?: number,
  ): number | IoctlStructResult<F> {
    if (typeof arg === 'object') return this.ioctlStruct(cmd, arg, value!, bufSize ?? arg.size);
    return this.process.ioctl(this.fd, cmd, arg ?? 0);
  }

  /**
   * Encode `value` (a `layout` struct) into user memory, `ioctl(fd, cmd, &struct)`, and decode what the
   * kernel left there. `bufSize` (≥ the struct) reserves room for trailing data (capability chains,
   * feature payloads). On error the KernelError propagates (user memory may hold partial results).
   */
  ioctlStruct<F extends readonly FieldDecl[]>(
    cmd: number,
    layout: StructLayout<F>,
    value: StructValue<F>,
    bufSize = layout.size,
  ): IoctlStructResult<F> {
    const va = this.buffer(bufSize);
    const bytes = new Uint8Array(bufSize);
    layout.encode(value, bytes, 0);
    this.process.mm.copyToUser(va, bytes);
    const ret = this.ioctl(cmd, va);
    const after = this.process.mm.copyFromUser(va, bufSize);
    return { ret, out: layout.decode(after), bytes: after };
  }

  /**
   * VFIO_DEVICE_BIND_IOMMUFD (device cdev fds): bind to the iommufd open as `iommufdFd` in the same
   * process; opens the device and returns `out_devid` (the device id for IOMMU_HWPT_ALLOC and friends).
   */
  bindIommufd(iommufdFd: number): number {
    const { out } = this.ioctlStruct(VFIO_DEVICE_BIND_IOMMUFD, vfio_device_bind_iommufd, {
      argsz: vfio_device_bind_iommufd.size,
      flags: 0,
      iommufd: iommufdFd >>> 0,
      out_devid: 0,
    });
    return out.out_devid;
  }

  /**
   * VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach (or re-attach) to an IOAS or HWPT id; returns the HWPT id the
   * kernel attached (for an IOAS, its automatic domain).
   */
  attachIommufdPt(ptId: number): number {
    const { out } = this.ioctlStruct(VFIO_DEVICE_ATTACH_IOMMUFD_PT, vfio_device_attach_iommufd_pt, {
      argsz: vfio_device_attach_iommufd_pt.size,
      flags: 0,
      pt_id: ptId,
      pasid: 0,
    });
    return out.pt_id;
  }

  /** VFIO_DEVICE_DETACH_IOMMUFD_PT: the device's DMA is blocked until the next attach. */
  detachIommufdPt(): void {
    this.ioctlStruct(VFIO_DEVICE_DETACH_IOMMUFD_PT, vfio_device_detach_iommufd_pt, {
      argsz: vfio_device_detach_iommufd_pt.size,
      flags: 0,
      pasid: 0,
    });
  }

  /** VFIO_DEVICE_GET_INFO. */
  getInfo(): VfioDeviceInfo {
    const { out } = this.ioctlStruct(VFIO_DEVICE_GET_INFO, vfio_device_info, {
      ...vfio_device_info.zero(),
      argsz: vfio_device_info.size,
    });
    return { flags: out.flags, numRegions: out.num_regions, numIrqs: out.num_irqs };
  }

  /**
   * VFIO_DEVICE_GET_REGION_INFO for `index`, with the capability chain: asks with argsz = 32, and when the
   * kernel reports a bigger argsz (capabilities did not fit) asks again with that size, as QEMU does.
   */
  getRegionInfo(index: number): VfioRegionInfo {
    let argsz = vfio_region_info.size;
    for (;;) {
      const { out, bytes } = this.ioctlStruct(
        VFIO_DEVICE_GET_REGION_INFO,
        vfio_region_info,
        { ...vfio_region_info.zero(), argsz, index },
        argsz,
      );
      if (out.argsz > argsz) {
        argsz = out.argsz;
        continue;
      }
      const caps =
        (out.flags & VFIO_REGION_INFO_FLAG_CAPS) !== 0 && out.cap_offset !== 0
          ? decodeCaps(bytes, out.cap_offset)
          : [];
      return { index, flags: out.flags, size: Number(out.size), offset: Number(out.offset), caps };
    }
  }

  /** `pread` of `len` bytes at device-fd `offset`; returns what was read (may be short at a BAR end). */
  pread(offset: number, len: number): Uint8Array {
    const va = this.buffer(len);
    const n = this.process.pread(this.fd, va, len, offset);
    return this.process.mm.copyFromUser(va, n);
  }

  /** `pwrite` of `bytes` at device-fd `offset`; returns the bytes written. */
  pwrite(offset: number, bytes: Uint8Array): number {
    const va = this.buffer(bytes.length);
    this.process.mm.copyToUser(va, bytes);
    return this.process.pwrite(this.fd, va, bytes.length, offset);
  }

  /** A 4-byte `pread` decoded little-endian. @throws KernelError EIO on a short read */
  preadU32(offset: number): number {
    const n = this.process.pread(this.fd, this.scratch, 4, offset);
    if (n !== 4) throw new KernelError('EIO', `short read of ${n} bytes at 0x${offset.toString(16)}`);
    return this.process.mm.readU32(this.scratch);
  }

  /** A 4-byte little-endian `pwrite`. @throws KernelError EIO on a short write */
  pwriteU32(offset: number, value: number): void {
    this.process.mm.writeU32(this.scratch, value >>> 0);
    const n = this.process.pwrite(this.fd, this.scratch, 4, offset);
    if (n !== 4) throw new KernelError('EIO', `short write of ${n} bytes at 0x${offset.toString(16)}`);
  }

  /** The device-fd offset of region `index` plus `pos` (`VFIO_PCI_INDEX_TO_OFFSET(index) + pos`). */
  regionOffset(index: number, pos = 0): number {
    return VFIO_PCI_INDEX_TO_OFFSET(index) + pos;
  }

  /**
   * `mmap(NULL, length, PROT_READ|PROT_WRITE, flags, fd, (index << 40) + offset)`: map part of region
   * `index`. The mapping bounds-checks every access; {@link close} unmaps it.
   */
  mmap(index: number, length: number, offset = 0, flags = MAP_SHARED): VfioUserMapping {
    const region = this.process.mmap(
      this.fd,
      length,
      PROT_READ | PROT_WRITE,
      flags,
      this.regionOffset(index, offset),
    );
    // vfio-pci-core's BAR mappings can be unmapped; a driver's own mapping gets the same bounded window.
    const mapping: VfioUserMapping =
      region instanceof VfioPciMapping
        ? region
        : new VfioPciMapping(region, 0, Math.min(length, region.size), index);
    this.mappings.add(mapping);
    return mapping;
  }

  /** VFIO_DEVICE_RESET. */
  reset(): void {
    this.ioctl(VFIO_DEVICE_RESET);
  }

  /**
   * VFIO_DEVICE_FEATURE with `flags` (feature index | GET/SET/PROBE) and an optional payload; returns the
   * payload bytes after the call.
   */
  feature(flags: number, payload: Uint8Array = new Uint8Array(0), argsz?: number): Uint8Array {
    const size = vfio_device_feature.size + payload.length;
    const va = this.buffer(size);
    const bytes = new Uint8Array(size);
    vfio_device_feature.encode({ argsz: argsz ?? size, flags }, bytes, 0);
    bytes.set(payload, vfio_device_feature.size);
    this.process.mm.copyToUser(va, bytes);
    this.ioctl(VFIO_DEVICE_FEATURE, va);
    return this.process.mm.copyFromUser(va + vfio_device_feature.size, payload.length);
  }

  /** PROBE: is `feature` supported with these GET/SET bits? (false on any errno) */
  probeFeature(feature: number, getSet = 0): boolean {
    try {
      this.feature(feature | getSet | VFIO_DEVICE_FEATURE_PROBE);
      return true;
    } catch (e) {
      if (e instanceof KernelError) return false;
      throw e;
    }
  }

  /**
   * VFIO_DEVICE_FEATURE with `flags` and a `layout` payload: header and payload are encoded straight into
   * the scratch area, and the payload as the kernel left it is decoded from there (no byte copies).
   */
  private featureStruct<F extends readonly FieldDecl[]>(
    flags: number,
    layout: StructLayout<F>,
    value: StructValue<F>,
  ): StructValue<F> {
    const mm = this.process.mm;
    const argsz = vfio_device_feature.size + layout.size;
    const va = this.buffer(argsz);
    mm.writeStruct(vfio_device_feature, va, { argsz, flags });
    mm.writeStruct(layout, va + vfio_device_feature.size, value);
    this.ioctl(VFIO_DEVICE_FEATURE, va);
    return mm.readStruct(layout, va + vfio_device_feature.size);
  }

  /** MIGRATION GET: the device's VFIO_MIGRATION_* flags. */
  getMigrationFlags(): number {
    const out = this.featureStruct(
      VFIO_DEVICE_FEATURE_MIGRATION | VFIO_DEVICE_FEATURE_GET,
      vfio_device_feature_migration,
      { flags: 0n },
    );
    return Number(out.flags);
  }

  /** MIG_DEVICE_STATE SET: returns the new data fd, or undefined when the arc opens none. */
  setMigState(state: number): number | undefined {
    const out = this.featureStruct(
      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | VFIO_DEVICE_FEATURE_SET,
      vfio_device_feature_mig_state,
      { device_state: state, data_fd: 0xffff_ffff },
    );
    const fd = out.data_fd | 0;
    return fd < 0 ? undefined : fd;
  }

  /** MIG_DEVICE_STATE GET. */
  getMigState(): number {
    return this.featureStruct(
      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | VFIO_DEVICE_FEATURE_GET,
      vfio_device_feature_mig_state,
      { device_state: 0, data_fd: 0 },
    ).device_state;
  }

  /** MIG_DATA_SIZE GET: `stop_copy_length`. */
  getMigDataSize(): number {
    const out = this.featureStruct(
      VFIO_DEVICE_FEATURE_MIG_DATA_SIZE | VFIO_DEVICE_FEATURE_GET,
      vfio_device_feature_mig_data_size,
      { stop_copy_length: 0n },
    );
    return Number(out.stop_copy_length);
  }

  /** DMA_LOGGING_START over `ranges` with a page-size hint; returns the page size the device chose. */
  dmaLoggingStart(ranges: readonly { iova: number; length: number }[], pageSize: number): number {
    const rl = vfio_device_feature_dma_logging_range;
    const mm = this.process.mm;
    // The kernel copies the ranges during the call (into its interval tree): freed right after.
    const rangesVa = mm.alloc(Math.max(1, ranges.length) * rl.size, 8);
    try {
      ranges.forEach((r, i) => {
        mm.writeStruct(rl, rangesVa + i * rl.size, { iova: BigInt(r.iova), length: BigInt(r.length) });
      });
      const out = this.featureStruct(
        VFIO_DEVICE_FEATURE_DMA_LOGGING_START | VFIO_DEVICE_FEATURE_SET,
        vfio_device_feature_dma_logging_control,
        {
          page_size: BigInt(pageSize),
          num_ranges: ranges.length,
          __reserved: 0,
          ranges: BigInt(rangesVa),
        },
      );
      return Number(out.page_size);
    } finally {
      mm.free(rangesVa);
    }
  }

  /** DMA_LOGGING_STOP. */
  dmaLoggingStop(): void {
    this.feature(VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP | VFIO_DEVICE_FEATURE_SET);
  }

  /**
   * DMA_LOGGING_REPORT of `[iova, iova + length)` at `pageSize`: returns the dirty bitmap bytes (bit i =
   * page `iova + i * pageSize`, u64 words little-endian), read-and-cleared on the device.
   */
  dmaLoggingReport(iova: number, length: number, pageSize: number): Uint8Array {
    const bytes = Math.ceil(Math.ceil(length / pageSize) / 64) * 8;
    const mm = this.process.mm;
    const bitmap = mm.alloc(Math.max(8, bytes), 8);
    try {
      this.featureStruct(
        VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT | VFIO_DEVICE_FEATURE_GET,
        vfio_device_feature_dma_logging_report,
        {
          iova: BigInt(iova),
          length: BigInt(length),
          page_size: BigInt(pageSize),
          bitmap: BigInt(bitmap),
        },
      );
      return mm.copyFromUser(bitmap, bytes);
    } finally {
      mm.free(bitmap);
    }
  }

  /**
   * Unmap this handle's mappings, close the fd (the last close calls the driver's close_device) and
   * free the handle's scratch area. The handle is unusable afterwards.
   */
  close(): void {
    for (const m of this.mappings) m.munmap();
    this.mappings.clear();
    try {
      this.process.close(this.fd);
    } finally {
      if (this.scratch !== 0) this.process.mm.free(this.scratch);
      this.scratch = 0;
      this.scratchSize = 0;
    }
  }

  /** A user buffer of at least `size` bytes (the scratch area, grown when needed: the old one is freed). */
  private buffer(size: number): number {
    if (size > this.scratchSize) {
      const grown = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
      const va = this.process.mm.alloc(grown, 8);
      if (this.scratch !== 0) this.process.mm.free(this.scratch);
      this.scratch = va;
      this.scratchSize = grown;
    }
    return this.scratch;
  }
}

/** Walk a capability chain in `bytes` starting at `offset` (offsets are from the buffer start). */
function decodeCaps(bytes: Uint8Array, offset: number): VfioRegionCap[] {
  const caps: VfioRegionCap[] = [];
  let at = offset;
  const seen = new Set<number>();
  while (at !== 0 && at + vfio_info_cap_header.size <= bytes.length && !seen.has(at)) {
    seen.add(at);
    const h = vfio_info_cap_header.decode(bytes, at);
    if (h.id === VFIO_REGION_INFO_CAP_TYPE && at + vfio_region_info_cap_type.size <= bytes.length) {
      const c = vfio_region_info_cap_type.decode(bytes, at);
      caps.push({ id: VFIO_REGION_INFO_CAP_TYPE, version: h.version, type: c.type, subtype: c.subtype });
    } else if (h.id === VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
      const c = vfio_region_info_cap_sparse_mmap.decode(bytes, at);
      const areas = Array.from({ length: c.nr_areas }, (_, i) => {
        const a = vfio_region_sparse_mmap_area.decode(
          bytes,
          at + vfio_region_info_cap_sparse_mmap.size + i * vfio_region_sparse_mmap_area.size,
        );
        return { offset: Number(a.offset), size: Number(a.size) };
      });
      caps.push({ id: VFIO_REGION_INFO_CAP_SPARSE_MMAP, version: h.version, areas });
    } else {
      const end = h.next !== 0 ? h.next : bytes.length;
      caps.push({ id: h.id, version: h.version, raw: bytes.slice(at, end) });
    }
    at = h.next;
  }
  return caps;
}
