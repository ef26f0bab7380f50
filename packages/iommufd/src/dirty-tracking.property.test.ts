import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { iommufdBed } from './__fixtures__/iommufd-bed.js';
import { hostPhysMap } from './phys-map.js';
import * as u from './uapi.js';

const PS = 4096;
const MiB = 1 << 20;
const SPAN = 16 * MiB; // IOVA window the test uses
const PAGES = SPAN / PS;

type Op =
  | { kind: 'map'; slot: number; pages: number; offsetPages: number }
  | { kind: 'unmap'; slot: number }
  | { kind: 'write'; page: number }
  | { kind: 'get'; noClear: boolean }
  | { kind: 'toggle'; enable: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('map' as const),
    slot: fc.integer({ min: 0, max: 3 }),
    pages: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constantFrom(512, 1024, 513)),
    offsetPages: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 600 })),
  }),
  fc.record({ kind: fc.constant('unmap' as const), slot: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('write' as const), page: fc.integer({ min: 0, max: PAGES - 1 }) }),
  fc.record({ kind: fc.constant('write' as const), page: fc.integer({ min: 0, max: PAGES - 1 }) }),
  fc.record({ kind: fc.constant('write' as const), page: fc.integer({ min: 0, max: PAGES - 1 }) }),
  fc.record({ kind: fc.constant('get' as const), noClear: fc.boolean() }),
  fc.record({ kind: fc.constant('toggle' as const), enable: fc.boolean() }),
);

/** The leaf size the greedy mapper uses for `page` of an area (largest aligned block inside it). */
function leafOf(
  page: number,
  area: { iova: number; length: number; pa: number },
): { start: number; size: number } {
  const iova = page * PS;
  for (const size of [2 ** 30, 2 * MiB, PS]) {
    const b = iova - (iova % size);
    const pa = area.pa + (b - area.iova);
    if (b >= area.iova && b + size <= area.iova + area.length && pa % size === 0) return { start: b, size };
  }
  throw new Error('unreachable');
}

test.prop(
  [fc.constantFrom('amd-v1', 'vtd-ss', 'arm-smmuv3-s1'), fc.array(opArb, { minLength: 10, maxLength: 50 })],
  { numRuns: 80 },
)('reported bitmap = written pages rounded to their leaves', (format, ops) => {
  const { mm, guest, ramVa, file, client, dev, devId } = iommufdBed({
    format,
    ramSize: 8 * MiB,
    heapSize: 4 * MiB,
    devName: 'dev',
  });
  const pa0 = hostPhysMap.baseOf(guest);
  const ioas = client.ioasAlloc();
  const hwpt = client.hwptAlloc(devId, ioas, u.IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
  file.privateData.attachDevice(devId, hwpt);
  const arm = format === 'arm-smmuv3-s1';
  client.setDirtyTracking(hwpt, true);
  let tracking = true;
  const slots: Array<{ iova: number; length: number; pa: number } | undefined> = [];
  const dirtyLeaves = new Map<number, number>(); // leaf start → size
  const bitmap = mm.alloc(PAGES / 8, 8);

  const areaOf = (page: number) =>
    slots.find((a) => a !== undefined && page * PS >= a.iova && page * PS < a.iova + a.length);
  for (const op of ops) {
    if (op.kind === 'map') {
      if (slots[op.slot] !== undefined) continue;
      const iova = op.slot * 4 * MiB;
      const length = Math.min(op.pages * PS, 4 * MiB);
      const offset = Math.min(op.offsetPages * PS, 8 * MiB - length);
      client.ioasMap(ioas, ramVa + offset, length, { iova });
      const area = { iova, length, pa: pa0 + offset };
      slots[op.slot] = area;
      if (arm) {
        // Writable-dirty from the start (ARM), whether or not "tracking" is on.
        for (let p = iova / PS; p < (iova + length) / PS; p++) {
          const l = leafOf(p, area);
          dirtyLeaves.set(l.start, l.size);
        }
      }
    } else if (op.kind === 'unmap') {
      const a = slots[op.slot];
      if (a === undefined) continue;
      client.ioasUnmap(ioas, a.iova, a.length);
      for (const s of [...dirtyLeaves.keys()])
        if (s >= a.iova && s < a.iova + a.length) dirtyLeaves.delete(s);
      slots[op.slot] = undefined;
    } else if (op.kind === 'write') {
      // Mostly aim at a mapped area (page modulo the area), sometimes at the raw page (faults).
      const live = slots.filter((x) => x !== undefined);
      let page = op.page;
      if (live.length > 0 && page % 8 !== 0) {
        const t = live[page % live.length]!;
        page = t.iova / PS + (page % (t.length / PS));
      }
      const a = areaOf(page);
      if (a === undefined) {
        expect(() => dev.dmaPort.writeU32(page * PS, 1)).toThrow();
        continue;
      }
      dev.dmaPort.writeU32(page * PS, 1);
      if (tracking || arm) {
        const l = leafOf(page, a);
        dirtyLeaves.set(l.start, l.size);
      }
    } else if (op.kind === 'toggle') {
      client.setDirtyTracking(hwpt, op.enable);
      if (op.enable) dirtyLeaves.clear();
      tracking = op.enable;
    } else {
      // One GET per mapped area, each into a zeroed bitmap based at the area's IOVA.
      const flags = op.noClear ? u.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0;
      for (const a of slots) {
        if (a === undefined) continue;
        const n = a.length / PS;
        mm.copyToUser(bitmap, new Uint8Array(Math.ceil(n / 64) * 8));
        client.getDirtyBitmap(hwpt, a.iova, a.length, PS, bitmap, flags);
        const bytes = mm.copyFromUser(bitmap, Math.ceil(n / 8));
        const reported: number[] = [];
        for (let p = 0; p < n; p++) if ((bytes[p >> 3]! >> (p & 7)) & 1) reported.push(a.iova / PS + p);
        const expected: number[] = [];
        for (const [st, size] of dirtyLeaves) {
          if (st < a.iova || st >= a.iova + a.length) continue;
          for (let p = st / PS; p < (st + size) / PS; p++) expected.push(p);
        }
        expected.sort((x, y) => x - y);
        expect(reported).toEqual(expected);
        if (!op.noClear)
          for (const st of [...dirtyLeaves.keys()])
            if (st >= a.iova && st < a.iova + a.length) dirtyLeaves.delete(st);
      }
    }
  }
});
