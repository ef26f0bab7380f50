import { DmaPageTracker } from '@vfio-sim/iommufd';
import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { CDEV_RAM, cdevBoundBed } from '../__fixtures__/cdev-bed.js';

/** Indexes of the set bits of a little-endian bitmap. */
function bits(bitmap: Uint8Array): number[] {
  const out: number[] = [];
  bitmap.forEach((byte, i) => {
    for (let b = 0; b < 8; b++) if ((byte >> b) & 1) out.push(i * 8 + b);
  });
  return out;
}

describe('vfioLogOpsFromTracker: device DMA logging through VFIO_DEVICE_FEATURE', () => {
  it('DMA_LOGGING_START / REPORT / STOP report exactly the pages the device wrote', () => {
    const tracker = new DmaPageTracker();
    const { h, ioas, ...bed } = cdevBoundBed({ tracker });
    h.attachIommufdPt(ioas); // an automatic domain: no IOMMU dirty tracking, the device tracks itself
    const dma = () => bed.dirty.engine.port!;
    dma().writeU32(0x1000, 1); // before START: not logged
    expect(h.dmaLoggingStart([{ iova: 0, length: CDEV_RAM }], 4096)).toBe(4096);
    expect(tracker.active).toBe(true);
    dma().writeU32(0x2000, 2);
    dma().writeU16(0x7ffe, 3);
    dma().write(0x9ffe, Uint8Array.of(1, 2, 3, 4)); // pages 9 and 10
    dma().readU32(0xc000); // a read is not a write
    expect(bed.ram.readU32(0x2000)).toBe(2);
    expect(bits(h.dmaLoggingReport(0, CDEV_RAM, 4096))).toEqual([2, 7, 9, 10]);
    expect(bits(h.dmaLoggingReport(0, CDEV_RAM, 4096))).toEqual([]); // read-and-clear
    dma().writeU32(0x40000, 4);
    expect(bits(h.dmaLoggingReport(0x40000, 0x10000, 4096))).toEqual([0]);
    h.dmaLoggingStop();
    expect(tracker.active).toBe(false);
    expect(errnoOf(() => h.dmaLoggingReport(0, CDEV_RAM, 4096))).toBe('EINVAL');
  });

  it("a second START is the tracker's EINVAL and leaves the first log running", () => {
    const tracker = new DmaPageTracker();
    const { h, ioas, ...bed } = cdevBoundBed({ tracker });
    h.attachIommufdPt(ioas);
    h.dmaLoggingStart([{ iova: 0, length: 0x10000 }], 4096);
    expect(errnoOf(() => h.dmaLoggingStart([{ iova: 0, length: CDEV_RAM }], 4096))).toBe('EINVAL');
    expect(tracker.trackedRanges).toEqual([{ iova: 0, last: 0xffff }]);
    bed.dirty.engine.port!.writeU32(0x3000, 1);
    expect(bits(h.dmaLoggingReport(0, 0x10000, 4096))).toEqual([3]);
  });
});
