import { KernelError } from '@vfio-sim/platform';
import { IoPgtable, type IotlbGather, newIoPtWalk } from './io-pgtable.js';
import type { IommuProt } from './io-pgtable-format.js';
import type { IommuDevice, IommuHw } from './iommu-hw.js';
import { Iotlb } from './iotlb.js';
import type { IovaBitmap } from './iova-bitmap.js';

/** An inclusive IOVA interval (`struct iommu_domain_geometry`'s aperture, `struct iommu_iova_range`). */
export interface IovaRange {
  readonly start: number;
  readonly last: number;
}

/** Options of {@link IommuDomain.alloc}. */
export interface IommuDomainAllocOptions {
  /** `IOMMU_HWPT_ALLOC_DIRTY_TRACKING`: give the domain dirty ops (and a dirty-capable format). */
  readonly dirtyTracking?: boolean;
  /**
   * The domain's `pgsize_bitmap` (default: every leaf size the format's tree holds). Its lowest set bit
   * is the domain's IOMMU page; sizes that are not a level's entry size are built from smaller leaves.
   */
  readonly pgsizeBitmap?: number | undefined;
  /** The aperture (`domain->geometry`), default: the driver's ({@link IommuHw.aperture}), else all the tree translates. */
  readonly aperture?: IovaRange;
}

/**
 * A paging IOMMU domain: one IO page table in the vendor's format, the IOTLB caching it, the devices
 * attached, and — when allocated for dirty tracking — the dirty ops.
 *
 * Kernel counterpart: `struct iommu_domain` with `iommu_domain_ops` and `iommu_dirty_ops`
 * (`set_dirty_tracking`, `read_and_clear_dirty`), as amd/iommu.c, intel/iommu.c and
 * arm-smmu-v3.c allocate them through `domain_alloc_paging_flags`.
 */
export class IommuDomain {
  readonly pgtable: IoPgtable;
  readonly iotlb = new Iotlb();
  /** Whether the domain has dirty ops (`domain->dirty_ops != NULL`). */
  readonly dirtyOps: boolean;
  /** The devices attached. */
  readonly devices = new Set<IommuDevice>();
  /** `pgsize_bitmap` (vendor formats by default: 4 KiB | 2 MiB | 1 GiB). */
  readonly pgsizeBitmap: number;
  /** `geometry.aperture_start` / `aperture_end`: the IOVAs the domain may map. */
  readonly aperture: IovaRange;
  /** Bytes left in the leaf after the last {@link translate}'s IOVA. */
  translatedRemaining = 0;
  private tracking = false;
  private readonly w = newIoPtWalk();

  private constructor(
    readonly hw: IommuHw,
    dirtyOps: boolean,
    options: IommuDomainAllocOptions,
  ) {
    this.dirtyOps = dirtyOps;
    this.pgtable = new IoPgtable(hw.format, dirtyOps);
    this.pgsizeBitmap = options.pgsizeBitmap ?? this.pgtable.pgsizeBitmap;
    this.aperture = options.aperture ?? hw.aperture ?? { start: 0, last: this.pgtable.iovaLimit - 1 };
    // ARM: HTTU dirty state is always updated for a domain allocated with dirty tracking.
    this.tracking = dirtyOps && hw.format.dirtyEncoding === 'dbm';
  }

  /**
   * Allocate a paging domain on `hw` (`domain_alloc_paging_flags`).
   * @throws KernelError EOPNOTSUPP for dirty tracking on an IOMMU that cannot do it; EINVAL for a
   *   `pgsizeBitmap` with a page below the format's granule, or an aperture outside the tree.
   */
  static alloc(hw: IommuHw, options: IommuDomainAllocOptions = {}): IommuDomain {
    const dirty = options.dirtyTracking ?? false;
    if (dirty && !hw.dirtyTracking) {
      throw new KernelError('EOPNOTSUPP', `${hw.name}: no dirty tracking support`);
    }
    const granule = 2 ** hw.format.geometry.granuleShift;
    const sizes = options.pgsizeBitmap;
    if (sizes !== undefined && !(Number.isSafeInteger(sizes) && sizes > 0 && lowestBit(sizes) >= granule)) {
      throw new KernelError(
        'EINVAL',
        `pgsize_bitmap 0x${sizes.toString(16)}: no page of at least ${granule} bytes`,
      );
    }
    const domain = new IommuDomain(hw, dirty, options);
    const a = domain.aperture;
    if (!(a.start >= 0 && a.start <= a.last && a.last < domain.pgtable.iovaLimit)) {
      throw new KernelError(
        'EINVAL',
        `aperture [0x${a.start.toString(16)}, 0x${a.last.toString(16)}] outside the table`,
      );
    }
    return domain;
  }

  /** Smallest page size (`1 << __ffs(pgsize_bitmap)`). */
  get minPageSize(): number {
    return lowestBit(this.pgsizeBitmap);
  }

  /** Whether hardware currently records writes (AMD DTE.HAD, VT-d SSADE; ARM: always, with dirty ops). */
  get dirtyTrackingEnabled(): boolean {
    return this.tracking;
  }

  /**
   * Attach `dev` (`attach_dev`).
   * @throws KernelError EINVAL when the device's IOMMU cannot serve this domain (another IOMMU
   *   format), cannot dirty-track while the domain has dirty ops, or (VT-d) uses a non-zero PASID
   *   with a dirty-tracking domain.
   */
  attachDev(dev: IommuDevice, pasid = 0): void {
    if (dev.hw.format !== this.hw.format) {
      throw new KernelError(
        'EINVAL',
        `${dev.name}: ${dev.hw.name} cannot use a ${this.hw.format.title} domain`,
      );
    }
    if (this.dirtyOps && !dev.hw.dirtyTracking) {
      throw new KernelError('EINVAL', `${dev.name}: its IOMMU cannot track dirty pages for this domain`);
    }
    if (this.dirtyOps && pasid !== 0 && this.hw.format.name === 'vtd-ss') {
      throw new KernelError('EINVAL', `${dev.name}: dirty tracking only on RID_PASID, not PASID ${pasid}`);
    }
    dev.domain?.detachDev(dev);
    this.devices.add(dev);
    dev.domain = this;
    dev.pasid = pasid;
    dev.dirtyEnableBit = this.tracking;
  }

  /** Detach `dev` (it becomes blocked). */
  detachDev(dev: IommuDevice): void {
    if (!this.devices.delete(dev)) return;
    dev.domain = undefined;
    dev.dirtyEnableBit = false;
  }

  /** `iommu_map`. @throws KernelError EINVAL, EEXIST (from the page table). */
  map(iova: number, pa: number, length: number, prot: IommuProt, pgsizeBitmap = this.pgsizeBitmap): void {
    this.pgtable.map(iova, pa, length, prot, pgsizeBitmap);
  }

  /** `iommu_unmap`: clear the leaves and invalidate the IOTLB for the range. Returns bytes unmapped. */
  unmap(iova: number, length: number): number {
    const n = this.pgtable.unmap(iova, length);
    this.iotlb.invalidate(iova, length);
    return n;
  }

  /**
   * `set_dirty_tracking`: AMD sets/clears DTE HAD of every attached device and flushes; VT-d sets or
   * clears SSADE in each PASID entry and flushes; ARM does nothing (always tracking).
   * @throws KernelError EOPNOTSUPP without dirty ops.
   */
  setDirtyTracking(enable: boolean): void {
    if (!this.dirtyOps) throw new KernelError('EOPNOTSUPP', 'domain has no dirty ops');
    if (this.hw.format.dirtyEncoding === 'dbm') return;
    if (this.tracking === enable) return;
    this.tracking = enable;
    for (const d of this.devices) d.dirtyEnableBit = enable;
    this.iotlb.flushAll();
  }

  /**
   * `read_and_clear_dirty`: report and (unless `noClear`) clean dirty leaves in `[iova, iova + length)`.
   * No check of the tracking state (generic_pt): bits set while tracking was on are reported after a
   * disable too. Returns the dirty leaves seen.
   */
  readAndClearDirty(
    iova: number,
    length: number,
    noClear: boolean,
    bitmap: IovaBitmap | null,
    gather: IotlbGather | null,
  ): number {
    if (!this.dirtyOps) throw new KernelError('EOPNOTSUPP', 'domain has no dirty ops');
    return this.pgtable.readAndClearDirty(iova, length, noClear, bitmap, gather);
  }

  /** `iommu_iotlb_sync`: invalidate the gathered range. */
  iotlbSync(gather: IotlbGather): void {
    if (!gather.empty) this.iotlb.invalidate(gather.start, gather.end - gather.start);
  }

  /**
   * Translate one DMA access at `iova` (through the IOTLB; a miss walks the table and fills it). A write
   * needs write permission and, while tracking, makes the leaf dirty unless the IOTLB entry already
   * caches it dirty. Returns the physical address; {@link translatedRemaining} bytes follow in the leaf.
   * @throws KernelError EFAULT for a missing translation or a permission fault.
   */
  translate(iova: number, write: boolean): number {
    const tlb = this.iotlb;
    let e = tlb.lookup(iova);
    if (e < 0) {
      const w = this.w;
      if (!this.pgtable.walk(iova, w)) {
        throw new KernelError('EFAULT', `IO page fault: IOVA 0x${iova.toString(16)} not mapped`, { iova });
      }
      e = tlb.fill(
        iova,
        w.leafIova,
        w.leafSize,
        w.pa - (iova - w.leafIova),
        w.pte,
        w.readable,
        w.writable,
        w.dirty,
      );
    }
    if (write) {
      if (!tlb.writable(e)) {
        throw new KernelError('EFAULT', `IO page fault: write to read-only IOVA 0x${iova.toString(16)}`, {
          iova,
        });
      }
      if (this.tracking && !tlb.dirtyCached(e)) {
        this.pgtable.markDirty(tlb.pteOf(e));
        tlb.setDirtyCached(e);
      }
    } else if (!tlb.readable(e)) {
      throw new KernelError('EFAULT', `IO page fault: read of write-only IOVA 0x${iova.toString(16)}`, {
        iova,
      });
    }
    this.translatedRemaining = tlb.remaining(e, iova);
    return tlb.translate(e, iova);
  }

  /** Split the huge leaf at `iova` (extension); flushes the leaf from the IOTLB. */
  split(iova: number): boolean {
    const done = this.pgtable.split(iova);
    if (done) this.iotlb.flushAll();
    return done;
  }

  /** Collapse the table at `level` covering `iova` into one leaf (extension); flushes the IOTLB. */
  collapse(iova: number, level: number): boolean {
    const done = this.pgtable.collapse(iova, level);
    if (done) this.iotlb.flushAll();
    return done;
  }
}

/** The lowest set bit of a positive bitmap held in a double (`1 << __ffs(x)`). */
function lowestBit(x: number): number {
  let b = 1;
  while (Math.floor(x / b) % 2 === 0) b *= 2;
  return b;
}
