import { type DmaPort, KernelError } from '@vfio-sim/platform';
import type { IoPgtableFormat, IoPgtableFormatName } from './io-pgtable-format.js';
import { IO_PGTABLE_FORMATS } from './io-pgtable-formats.js';
import type { IommuDomain, IovaRange } from './iommu-domain.js';
import { hostPhysMap, type PhysMap } from './phys-map.js';

/** `enum iommu_cap` value the model answers (include/linux/iommu.h). */
export const IOMMU_CAP_DIRTY_TRACKING = 'IOMMU_CAP_DIRTY_TRACKING';

/** AMD EFR `HDSup` (bit 52) and `HASup` (bit 49): hardware dirty / access bit update support. */
export const FEATURE_HDSUP_BIT = 52;
export const FEATURE_HASUP_BIT = 49;
/** VT-d ECAP `SLADS` (bit 45): second-level accessed/dirty support; `SMTS` (bit 43) scalable mode. */
export const ECAP_SLADS_BIT = 45;
export const ECAP_SMTS_BIT = 43;
/** SMMUv3 IDR0 `HTTU` (bits 7:6): 1 = access flag, 2 = access + dirty. */
export const IDR0_HTTU_SHIFT = 6;
export const IDR0_HTTU_ACCESS_DIRTY = 2;
/** The selftest mock IOMMU's only register (`struct iommu_test_hw_info.test_reg`). */
export const IOMMU_HW_INFO_SELFTEST_REGVAL = 0xdeadbeef;

/** Options of {@link IommuHw}. */
export interface IommuHwOptions {
  /** Page-table format (which vendor). */
  readonly format: IoPgtableFormatName;
  /** Whether the IOMMU can track dirty pages (HDSup / SLADS / HTTU=2 with coherency). Default true. */
  readonly dirtyTracking?: boolean;
  /** Name for messages. */
  readonly name?: string;
  /** Physical address space of the host (default: the process-wide one). */
  readonly phys?: PhysMap;
  /**
   * The aperture the driver gives its paging domains (`domain->geometry`), default: all the table
   * translates. The selftest's mock narrows it to [MOCK_APERTURE_START, MOCK_APERTURE_LAST].
   */
  readonly aperture?: IovaRange;
}

/**
 * One physical IOMMU instance and the capabilities its registers advertise.
 *
 * Kernel counterpart: `struct amd_iommu` (EFR), `struct intel_iommu` (ECAP), `struct arm_smmu_device`
 * (IDR0), answering `device_iommu_capable(dev, IOMMU_CAP_DIRTY_TRACKING)`.
 */
export class IommuHw {
  readonly format: IoPgtableFormat;
  readonly dirtyTracking: boolean;
  readonly name: string;
  readonly phys: PhysMap;
  /** The aperture of the domains the driver allocates (undefined: the whole table). */
  readonly aperture: IovaRange | undefined;

  constructor(options: IommuHwOptions) {
    this.format = IO_PGTABLE_FORMATS[options.format];
    this.dirtyTracking = options.dirtyTracking ?? true;
    this.name = options.name ?? options.format;
    this.phys = options.phys ?? hostPhysMap;
    this.aperture = options.aperture;
  }

  /** `capable(IOMMU_CAP_DIRTY_TRACKING)`. */
  capable(cap: typeof IOMMU_CAP_DIRTY_TRACKING): boolean {
    return cap === IOMMU_CAP_DIRTY_TRACKING && this.dirtyTracking;
  }

  /**
   * The 64-bit capability register the driver reads, as `[lo, hi]` halves: AMD EFR, VT-d ECAP or
   * SMMUv3 IDR0 — only the dirty-tracking bits are modelled; the selftest mock's `test_reg`.
   */
  capabilityRegister(): [number, number] {
    const bit = (n: number): [number, number] => (n < 32 ? [(1 << n) >>> 0, 0] : [0, (1 << (n - 32)) >>> 0]);
    switch (this.format.name) {
      case 'amd-v1': {
        if (!this.dirtyTracking) return bit(FEATURE_HASUP_BIT);
        const [, a] = bit(FEATURE_HASUP_BIT);
        const [, d] = bit(FEATURE_HDSUP_BIT);
        return [0, (a | d) >>> 0];
      }
      case 'vtd-ss': {
        const [, s] = bit(ECAP_SMTS_BIT);
        const [, l] = this.dirtyTracking ? bit(ECAP_SLADS_BIT) : [0, 0];
        return [0, (s | l) >>> 0];
      }
      case 'arm-smmuv3-s1':
        return [(this.dirtyTracking ? IDR0_HTTU_ACCESS_DIRTY : 1) << IDR0_HTTU_SHIFT, 0];
      case 'iommufd-mock':
        return [IOMMU_HW_INFO_SELFTEST_REGVAL, 0];
    }
  }
}

/** Options of {@link IommuDevice}. */
export interface IommuDeviceOptions {
  /**
   * The IOMMU page sizes domains allocated for this device use (`domain->pgsize_bitmap`), e.g.
   * `4096` for a device whose IOMMU (or driver) maps no huge pages. Default: every leaf size of the
   * IOMMU's format. Its lowest bit must be at least the format's granule.
   */
  readonly pgsizeBitmap?: number;
}

/**
 * A DMA-capable device behind an IOMMU (a PCI function's stream/requester ID). Its {@link dmaPort} is
 * what the device model uses for DMA: every access is translated by the domain the device is attached
 * to, through that domain's IOTLB and page table; writes set the leaf's dirty state; a missing or
 * forbidden translation is a DMA fault (KernelError EFAULT).
 *
 * Kernel counterpart: `struct device` + its `iommu_group`, as iommufd binds it (`struct iommufd_device`).
 */
export class IommuDevice {
  /** The domain the device currently translates through (`NULL` = blocked: all DMA faults). */
  domain: IommuDomain | undefined = undefined;
  /** PASID it is attached with (VT-d refuses dirty domains on a non-zero PASID). */
  pasid = 0;
  /** DMA faults seen (the device would report them through its own error path). */
  faults = 0;
  /** The device's DMA port. */
  readonly dmaPort: DmaPort;
  /**
   * Per-device dirty enable bit the driver programs: AMD DTE `HAD` (bits 8:7 = 0b11), VT-d PASID entry
   * `SSADE` (bit 9), SMMUv3 CD `HD`/`HA` (bits 42/43). Set while the attached domain tracks.
   */
  dirtyEnableBit = false;

  /** The page sizes of domains allocated for this device (undefined: the format's). */
  readonly pgsizeBitmap: number | undefined;

  constructor(
    readonly hw: IommuHw,
    readonly name: string,
    options: IommuDeviceOptions = {},
  ) {
    const granule = 2 ** hw.format.geometry.granuleShift;
    const sizes = options.pgsizeBitmap;
    if (sizes !== undefined && !(Number.isSafeInteger(sizes) && sizes > 0 && sizes % granule === 0)) {
      throw new KernelError(
        'EINVAL',
        `${name}: pgsize_bitmap 0x${sizes?.toString(16)} has a page below ${granule}`,
      );
    }
    this.pgsizeBitmap = sizes;
    this.dmaPort = new IommuDmaPort(this);
  }
}

/** Scratch for single-value accesses (no allocation per access). */
const SCRATCH = new Uint8Array(8);
const SCRATCH_VIEW = new DataView(SCRATCH.buffer);
const SCRATCH4 = SCRATCH.subarray(0, 4);
const SCRATCH2 = SCRATCH.subarray(0, 2);

/**
 * {@link DmaPort} of an {@link IommuDevice}: IOVA → host-physical through the attached domain, then the
 * memory behind that physical address. A multi-byte access is translated completely before any byte
 * moves, so a fault leaves memory untouched.
 *
 * Kernel counterpart: the IOMMU's DMA remapping of the device's requests (no CPU-side code); a fault is
 * what the driver's IO page-fault handler would log (`amd_iommu_report_page_fault`, DMAR fault records).
 */
export class IommuDmaPort implements DmaPort {
  constructor(private readonly dev: IommuDevice) {}

  read(iova: number, dst: Uint8Array): void {
    this.access(iova, dst, false);
  }

  write(iova: number, src: Uint8Array): void {
    this.access(iova, src, true);
  }

  readU32(iova: number): number {
    this.access(iova, SCRATCH4, false);
    return SCRATCH_VIEW.getUint32(0, true);
  }

  writeU32(iova: number, value: number): void {
    SCRATCH_VIEW.setUint32(0, value >>> 0, true);
    this.access(iova, SCRATCH4, true);
  }

  writeU16(iova: number, value: number): void {
    SCRATCH_VIEW.setUint16(0, value & 0xffff, true);
    this.access(iova, SCRATCH2, true);
  }

  private access(iova: number, buf: Uint8Array, write: boolean): void {
    const domain = this.dev.domain;
    if (domain === undefined) {
      this.dev.faults++;
      throw new KernelError('EFAULT', `${this.dev.name}: DMA to 0x${iova.toString(16)} while blocked`);
    }
    const phys = this.dev.hw.phys;
    let done = 0;
    // Translate everything first (a fault leaves memory untouched), then copy.
    while (done < buf.length) {
      const at = iova + done;
      try {
        domain.translate(at, write);
      } catch (e) {
        this.dev.faults++;
        throw e;
      }
      done += Math.min(domain.translatedRemaining, buf.length - done);
    }
    done = 0;
    while (done < buf.length) {
      const at = iova + done;
      const pa = domain.translate(at, false);
      const n = Math.min(domain.translatedRemaining, buf.length - done);
      const r = phys.lookup(pa);
      const chunk = done === 0 && n === buf.length ? buf : buf.subarray(done, done + n);
      if (write) r.memory.write(pa - r.base, chunk);
      else r.memory.read(pa - r.base, chunk);
      done += n;
    }
  }
}
