import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { iommufdBed } from './__fixtures__/iommufd-bed.js';
import * as u from './uapi.js';

const PS = 4096;

describe('IommufdClient', () => {
  it('frees every command struct and array it puts in user memory, also when the ioctl fails', () => {
    const { mm, ramVa, ctx, client, devId } = iommufdBed({ heapSize: 64 * PS });
    const bitmap = mm.alloc(64, 8);
    const { used, blocks, largestFree } = mm.heapStats(); // the bitmap only
    // Far more calls than the heap has room for structs if any one of them stayed behind.
    for (let i = 0; i < 500; i++) {
      const ioas = client.ioasAlloc();
      client.setHugePages(ioas, false);
      expect(client.ioasIovaRanges(ioas).ranges.length).toBeGreaterThan(0);
      const iova = client.ioasMap(ioas, ramVa, 16 * PS);
      const hwpt = client.hwptAlloc(devId, ioas, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
      ctx.attachDevice(devId, hwpt);
      client.setDirtyTracking(hwpt, true);
      client.getDirtyBitmap(hwpt, iova, 16 * PS, PS, bitmap);
      expect(errnoOf(() => client.getDirtyBitmap(hwpt, iova, 16 * PS, 0, bitmap))).toBe('EINVAL');
      expect(client.getHwInfo(devId).dataType).toBeGreaterThanOrEqual(0);
      ctx.detachDevice(devId);
      client.destroy(hwpt);
      expect(client.ioasUnmap(ioas, iova, 16 * PS)).toBe(16 * PS);
      client.destroy(ioas);
      expect(errnoOf(() => client.destroy(ioas))).toBe('ENOENT');
    }
    expect(mm.heapStats()).toMatchObject({ used, blocks, largestFree });
  });
});
