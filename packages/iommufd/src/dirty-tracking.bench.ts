import { GuestMemory, UserMemory } from '@vfio-sim/platform';
import { bench, describe } from 'vitest';
import { IotlbGather, newIoPtWalk } from './io-pgtable.js';
import { IommuDomain } from './iommu-domain.js';
import { IommuHw } from './iommu-hw.js';
import { IovaBitmap } from './iova-bitmap.js';
import { hostPhysMap } from './phys-map.js';

const GiB = 2 ** 30;
const PS = 4096;
const RW = { read: true, write: true };

// (a) 64 GiB of 4 KiB leaves (16 Mi leaf entries), 1% dirty, read-and-clear into a 4 KiB bitmap.
const A_BYTES = 64 * GiB;
const A_LEAVES = A_BYTES / PS;
const hwA = new IommuHw({ format: 'amd-v1' });
const domA = IommuDomain.alloc(hwA, { dirtyTracking: true });
const memA = new GuestMemory(A_BYTES);
domA.map(0, hostPhysMap.baseOf(memA), A_BYTES, RW, PS); // 4 KiB leaves only (HUGE_PAGES=0)
const dirtyIdx: number[] = [];
for (let i = 0, x = 12345; i < A_LEAVES / 100; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  dirtyIdx.push(x % A_LEAVES);
}
const w = newIoPtWalk();
const dirtyPte = new Int32Array(dirtyIdx.length);
dirtyIdx.forEach((leaf, k) => {
  domA.pgtable.walk(leaf * PS, w);
  dirtyPte[k] = w.pte;
});
const mmA = new UserMemory(4 << 20);
const bitmapA = mmA.alloc(A_LEAVES / 8, 8);
const baselineA = new Uint32Array(A_LEAVES * 2);

describe('(a) read-and-clear 64 GiB of 4 KiB leaves, 1% dirty', () => {
  bench('baseline: plain loop test-and-clearing one bit of 16 Mi 64-bit entries', () => {
    for (let k = 0; k < dirtyIdx.length; k++)
      baselineA[2 * dirtyIdx[k]!] = baselineA[2 * dirtyIdx[k]!]! | 0x40;
    let n = 0;
    for (let i = 0; i < A_LEAVES; i++) {
      const lo = baselineA[2 * i]!;
      if ((lo & 0x40) !== 0) {
        baselineA[2 * i] = lo & ~0x40;
        n++;
      }
    }
    if (n === 0) throw new Error('nothing dirty');
  });
  bench('IoPgtable.readAndClearDirty (AMD v1) into an IovaBitmap', () => {
    const pt = domA.pgtable;
    for (let k = 0; k < dirtyPte.length; k++) pt.markDirty(dirtyPte[k]!);
    const bm = new IovaBitmap(mmA, 0, A_BYTES, PS, bitmapA);
    const g = new IotlbGather();
    const n = domA.readAndClearDirty(0, A_BYTES, false, bm, g);
    bm.flush();
    domA.iotlbSync(g);
    if (n === 0) throw new Error('nothing dirty');
  });
});

// (b) 1 TiB of 1 GiB leaves, all dirty: 32 MiB bitmap at 4 KiB.
const B_BYTES = 1024 * GiB;
const hwB = new IommuHw({ format: 'vtd-ss' });
const domB = IommuDomain.alloc(hwB, { dirtyTracking: true });
const memB = new GuestMemory(B_BYTES);
domB.map(0, hostPhysMap.baseOf(memB), B_BYTES, RW);
const leavesB = domB.pgtable.leaves().map((l) => {
  domB.pgtable.walk(l.iova, w);
  return w.pte;
});
const mmB = new UserMemory(64 << 20);
const bitmapB = mmB.alloc(B_BYTES / PS / 8, 8);
const baselineB = new Uint8Array(B_BYTES / PS / 8);

describe('(b) 1 TiB of 1 GiB leaves, all dirty', () => {
  bench('baseline: plain fill of 32 MiB', () => {
    baselineB.fill(0xff);
  });
  bench('IoPgtable.readAndClearDirty (VT-d SS) into a 32 MiB IovaBitmap', () => {
    for (const pte of leavesB) domB.pgtable.markDirty(pte);
    const bm = new IovaBitmap(mmB, 0, B_BYTES, PS, bitmapB);
    const g = new IotlbGather();
    domB.readAndClearDirty(0, B_BYTES, false, bm, g);
    bm.flush();
    domB.iotlbSync(g);
  });
});

// (c) memory: page-table bytes for 1 TiB of huge leaves.
describe('(c) page-table memory for 1 TiB', () => {
  bench(
    `1 GiB leaves: ${domB.pgtable.bytes / 1024} KiB of table pages (${domB.pgtable.tablePages} pages)`,
    () => {
      const d = IommuDomain.alloc(hwB, { dirtyTracking: true });
      d.map(0, hostPhysMap.baseOf(memB), B_BYTES, RW);
    },
  );
});
