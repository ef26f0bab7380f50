import { errnoOf, GuestMemory, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { Ioas } from './io-pagetable.js';
import { IommuDomain } from './iommu-domain.js';
import { IommuDevice, IommuHw } from './iommu-hw.js';
import { IovaBitmap } from './iova-bitmap.js';

const MiB = 1 << 20;
const PS = 4096;
const RW = { read: true, write: true };

function setup(format: 'amd-v1' | 'vtd-ss' | 'arm-smmuv3-s1' = 'amd-v1') {
  const ioas = new Ioas();
  const mem = new GuestMemory(8 * MiB);
  ioas.map(mem, 0, 4 * MiB, 0, RW);
  const hw = new IommuHw({ format });
  const domain = IommuDomain.alloc(hw, { dirtyTracking: true });
  ioas.addDomain(domain);
  const dev = new IommuDevice(hw, 'dev');
  domain.attachDev(dev);
  ioas.setDirtyTracking(domain, true);
  const mm = new UserMemory();
  const data = mm.alloc(256, 8);
  return { ioas, mem, domain, dev, mm, data };
}

describe('extension: unmap and read dirty', () => {
  it('returns the dirty pages of what it unmaps, then the IOVA is gone', () => {
    const { ioas, domain, dev, mm, data } = setup();
    dev.dmaPort.writeU32(2 * MiB + 8, 1); // dirties the second 2 MiB leaf
    const bm = new IovaBitmap(mm, 0, 4 * MiB, 2 * MiB, data);
    expect(ioas.unmapReadDirty(domain, 0, 4 * MiB, bm)).toBe(4 * MiB);
    expect(bm.test(0)).toBe(false);
    expect(bm.test(2 * MiB)).toBe(true);
    expect(ioas.mappings).toEqual([]);
    expect(errnoOf(() => dev.dmaPort.writeU32(0, 1))).toBe('EFAULT');
  });

  it('cutting a mapping or an empty range → ENOENT; no dirty ops → EOPNOTSUPP; nothing changes', () => {
    const { ioas, domain, dev, mm, data, mem } = setup();
    dev.dmaPort.writeU32(0, 1);
    const bm = new IovaBitmap(mm, 0, 8 * MiB, PS, data);
    expect(errnoOf(() => ioas.unmapReadDirty(domain, 0, 2 * MiB, bm))).toBe('ENOENT');
    expect(errnoOf(() => ioas.unmapReadDirty(domain, 4 * MiB, 2 * MiB, bm))).toBe('ENOENT');
    const plain = IommuDomain.alloc(new IommuHw({ format: 'amd-v1' }));
    ioas.addDomain(plain);
    expect(errnoOf(() => ioas.unmapReadDirty(plain, 0, 4 * MiB, bm))).toBe('EOPNOTSUPP');
    expect(ioas.mappings).toHaveLength(1);
    expect(mm.readU64(data)).toBe(0n);
    expect(domain.readAndClearDirty(0, 4 * MiB, true, null, null)).toBe(1);
    void mem;
  });
});

describe.each(['amd-v1', 'vtd-ss', 'arm-smmuv3-s1'] as const)(
  'extension: split for tracking, collapse after (%s)',
  (format) => {
    it('splitting keeps reports exact, tracking is then per 4 KiB, collapse restores huge leaves', () => {
      const { ioas, domain, dev, mm, data } = setup(format);
      dev.dmaPort.writeU32(8, 1); // first 2 MiB leaf dirty before the split
      expect(ioas.splitForTracking(domain)).toBe(2);
      expect(domain.pgtable.leaves()).toHaveLength(1024);
      const bm = new IovaBitmap(mm, 0, 4 * MiB, PS, data);
      ioas.readAndClearDirty(domain, 0, 4 * MiB, false, bm);
      for (let p = 0; p < 1024; p++) expect(bm.test(p * PS)).toBe(p < 512);
      // Now a write dirties only its 4 KiB page.
      mm.copyToUser(data, new Uint8Array(128));
      dev.dmaPort.writeU32(3 * MiB + 5 * PS, 1);
      const bm2 = new IovaBitmap(mm, 0, 4 * MiB, PS, data);
      ioas.readAndClearDirty(domain, 0, 4 * MiB, false, bm2);
      const set = [];
      for (let p = 0; p < 1024; p++) if (bm2.test(p * PS)) set.push(p);
      expect(set).toEqual([768 + 5]);
      // All clean now: collapse back to two 2 MiB leaves.
      expect(ioas.collapseAfterTracking(domain)).toBe(2);
      expect(domain.pgtable.leaves().map((l) => l.size)).toEqual([2 * MiB, 2 * MiB]);
      // DMA still lands in the right place after the IOTLB flush.
      dev.dmaPort.writeU32(2 * MiB + 16, 0xabcd);
      expect(dev.dmaPort.readU32(2 * MiB + 16)).toBe(0xabcd);
    });

    it('collapse skips a table whose leaves disagree on dirty state', () => {
      const { ioas, domain, dev } = setup(format);
      ioas.splitForTracking(domain);
      ioas.readAndClearDirty(domain, 0, 4 * MiB, false, null);
      dev.dmaPort.writeU32(PS, 1);
      expect(ioas.collapseAfterTracking(domain)).toBe(1); // only the second 2 MiB
      expect(domain.pgtable.leaves()).toHaveLength(513);
    });
  },
);
