import { type DmaPort, KernelError, PAGE_SIZE } from '@vfio-sim/platform';
import type { IovaBitmap } from './iova-bitmap.js';

/** `LOG_MAX_RANGES` of vfio_main.c: what fits in one kernel page of `struct vfio_device_feature_dma_logging_range`. */
export const LOG_MAX_RANGES = PAGE_SIZE / 16;

/** One IOVA range to track (`struct vfio_device_feature_dma_logging_range`). */
export interface DmaLoggingRange {
  readonly iova: number;
  readonly length: number;
}

/** Device capabilities of a {@link DmaPageTracker} (mlx5 firmware caps `pg_track_*`). */
export interface DmaPageTrackerOptions {
  /** Ranges the device can track at once; more are combined (`vfio_combine_iova_ranges`). Default 4. */
  readonly maxRanges?: number;
  /** log2 bounds of the tracking page size (default 12 … 30). */
  readonly logMinPageSize?: number;
  readonly logMaxPageSize?: number;
}

interface TrackedRange {
  iova: number;
  /** Inclusive last IOVA. */
  last: number;
  /** One bit per tracking page (Uint32 words). */
  bits: Uint32Array;
}

/**
 * A device's own DMA write tracker, behind VFIO's device DMA logging: START with ranges and a page-size
 * hint, REPORT = read-and-clear into the caller's bitmap, STOP. {@link wrap} puts it in the device's DMA
 * path so that writes the device model makes are logged.
 *
 * Shaped as vfio-core's `VfioLogOps` minus the device argument, so a variant driver adopts it with
 * `{ logStart: (v, r, p) => tracker.logStart(r, p), … }`.
 *
 * Kernel counterpart: the `vfio_log_ops` of mlx5 (`mlx5vf_start_page_tracker`,
 * `mlx5vf_stop_page_tracker`, `mlx5vf_tracker_read_and_clear`) and the core checks of
 * `vfio_ioctl_device_feature_logging_start` / `_report` (drivers/vfio/vfio_main.c).
 */
export class DmaPageTracker {
  private ranges: TrackedRange[] | null = null;
  private pageShift = 12;
  private readonly maxRanges: number;
  private readonly logMin: number;
  private readonly logMax: number;

  constructor(options: DmaPageTrackerOptions = {}) {
    this.maxRanges = options.maxRanges ?? 4;
    this.logMin = options.logMinPageSize ?? 12;
    this.logMax = options.logMaxPageSize ?? 30;
  }

  /** Whether tracking is on. */
  get active(): boolean {
    return this.ranges !== null;
  }

  /** The tracking page size in use (after START). */
  get pageSize(): number {
    return 2 ** this.pageShift;
  }

  /** The ranges tracked (after combining), inclusive `last`. */
  get trackedRanges(): Array<{ iova: number; last: number }> {
    return (this.ranges ?? []).map((r) => ({ iova: r.iova, last: r.last }));
  }

  /**
   * DMA_LOGGING_START: validate, combine ranges down to the device's limit, choose the page size
   * (`ilog2(pageSize)` clamped to the device's bounds) and start with an empty log. Returns the page
   * size chosen.
   * @throws KernelError EINVAL (no ranges, misaligned, overlapping, already started), E2BIG (more than
   *   LOG_MAX_RANGES), EOVERFLOW (a range wraps).
   */
  logStart(ranges: readonly DmaLoggingRange[], pageSize: number): number {
    if (ranges.length === 0) throw new KernelError('EINVAL', 'DMA logging needs at least one range');
    if (ranges.length > LOG_MAX_RANGES) {
      throw new KernelError('E2BIG', `${ranges.length} ranges > LOG_MAX_RANGES ${LOG_MAX_RANGES}`);
    }
    if (!Number.isSafeInteger(pageSize) || pageSize <= 0) {
      throw new KernelError('EINVAL', `page size ${pageSize}`);
    }
    const sorted = [...ranges].sort((a, b) => a.iova - b.iova);
    for (const r of ranges) {
      if (r.iova % pageSize !== 0 || r.length % pageSize !== 0) {
        throw new KernelError(
          'EINVAL',
          `range [0x${r.iova.toString(16)}, +0x${r.length.toString(16)}) not aligned to ${pageSize}`,
        );
      }
      if (r.length <= 0 || !Number.isSafeInteger(r.iova + r.length)) {
        throw new KernelError(
          'EOVERFLOW',
          `range [0x${r.iova.toString(16)}, +0x${r.length.toString(16)}) overflows`,
        );
      }
    }
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.iova < sorted[i - 1]!.iova + sorted[i - 1]!.length) {
        throw new KernelError('EINVAL', 'DMA logging ranges overlap');
      }
    }
    if (this.ranges !== null) throw new KernelError('EINVAL', 'DMA logging already started');
    const shift = Math.min(this.logMax, Math.max(this.logMin, Math.floor(Math.log2(pageSize))));
    const combined = combineIovaRanges(
      sorted.map((r) => ({ iova: r.iova, last: r.iova + r.length - 1 })),
      this.maxRanges,
    );
    const ps = 2 ** shift;
    this.pageShift = shift;
    this.ranges = combined.map((r) => {
      const iova = Math.floor(r.iova / ps) * ps;
      const pages = Math.floor(r.last / ps) - iova / ps + 1;
      return { iova, last: r.last, bits: new Uint32Array(Math.ceil(pages / 32)) };
    });
    return ps;
  }

  /** DMA_LOGGING_STOP: forget the log (fine when not started). */
  logStop(): void {
    this.ranges = null;
  }

  /**
   * DMA_LOGGING_REPORT: set the bitmap bits of pages written in `[iova, iova + length)` since the last
   * report, and clear them from the log. A tracking page larger than the report page sets several bits;
   * smaller ones collapse into one.
   * @throws KernelError EINVAL when not started.
   */
  logReadAndClear(iova: number, length: number, bitmap: IovaBitmap): void {
    const ranges = this.ranges;
    if (ranges === null) throw new KernelError('EINVAL', 'DMA logging not started');
    const ps = this.pageSize;
    const end = iova + length;
    for (const r of ranges) {
      if (r.iova >= end || r.last < iova) continue;
      const first = Math.max(0, Math.floor((iova - r.iova) / ps));
      const last = Math.min(r.bits.length * 32 - 1, Math.floor((end - 1 - r.iova) / ps));
      for (let w = first >>> 5; w <= last >>> 5; w++) {
        let word = r.bits[w]!;
        if (word === 0) continue;
        const lo = w * 32;
        let mask = 0xffffffff;
        if (lo < first) mask &= ~((1 << (first - lo)) - 1);
        if (lo + 31 > last) mask &= last - lo >= 31 ? 0xffffffff : (1 << (last - lo + 1)) - 1;
        word &= mask;
        if (word === 0) continue;
        r.bits[w] = r.bits[w]! & ~word;
        bitmap.recordPages32(r.iova + lo * ps, ps, word);
      }
    }
    bitmap.flush();
  }

  /** The device wrote `[iova, iova + length)`: log it if tracked. */
  recordWrite(iova: number, length: number): void {
    const ranges = this.ranges;
    if (ranges === null || length <= 0) return;
    const ps = this.pageSize;
    const end = iova + length - 1;
    for (const r of ranges) {
      if (r.iova > end || r.last < iova) continue;
      const first = Math.floor((Math.max(iova, r.iova) - r.iova) / ps);
      const last = Math.floor((Math.min(end, r.last) - r.iova) / ps);
      for (let p = first; p <= last; p++) r.bits[p >>> 5] = r.bits[p >>> 5]! | (1 << (p & 31));
    }
  }

  /** A DmaPort that logs every write the device makes through `port`. */
  wrap(port: DmaPort): DmaPort {
    return {
      read: (iova, dst) => port.read(iova, dst),
      readU32: (iova) => port.readU32(iova),
      write: (iova, src) => {
        port.write(iova, src);
        this.recordWrite(iova, src.length);
      },
      writeU32: (iova, value) => {
        port.writeU32(iova, value);
        this.recordWrite(iova, 4);
      },
      writeU16: (iova, value) => {
        port.writeU16(iova, value);
        this.recordWrite(iova, 2);
      },
    };
  }
}

/**
 * `vfio_combine_iova_ranges`: merge sorted ranges (inclusive `last`) down to `reqNodes`: one → the span
 * from the first start to the last end; otherwise repeatedly merge the adjacent pair with the smallest
 * gap. Merged gaps become tracked.
 */
export function combineIovaRanges(
  ranges: ReadonlyArray<{ iova: number; last: number }>,
  reqNodes: number,
): Array<{ iova: number; last: number }> {
  const out = ranges.map((r) => ({ ...r }));
  if (out.length <= reqNodes) return out;
  if (reqNodes <= 1) return [{ iova: out[0]!.iova, last: out[out.length - 1]!.last }];
  while (out.length > reqNodes) {
    let best = 1;
    let bestGap = Number.POSITIVE_INFINITY;
    for (let i = 1; i < out.length; i++) {
      const gap = out[i]!.iova - out[i - 1]!.last;
      if (gap < bestGap) {
        bestGap = gap;
        best = i;
      }
    }
    out[best - 1]!.last = out[best]!.last;
    out.splice(best, 1);
  }
  return out;
}
