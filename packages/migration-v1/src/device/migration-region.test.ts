import { fc, test } from '@fast-check/vitest';
import { errnoOf, KernelError, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { FakeDevice } from '../__fixtures__/fake-device.js';
import {
  VFIO_DEVICE_STATE_V1_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_V1_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_V1_SAVING as SAVING,
  VFIO_DEVICE_STATE_IS_ERROR,
  VFIO_DEVICE_STATE_VALID,
} from '../uapi/device-state.js';
import { MigrationRegionV1 } from './migration-region.js';

/** A user of the region: pread/pwrite-like helpers over user memory, like QEMU's register accessors. */
function harness(capacity = 16, stateBytes = 40, precopy = 8) {
  const mm = new UserMemory();
  const device = new FakeDevice(
    Uint8Array.from({ length: stateBytes }, (_, i) => i + 1),
    precopy,
  );
  const region = new MigrationRegionV1(device, { dataCapacity: capacity });
  device.attach(region);
  const buf = mm.alloc(64, 8);
  const r32 = (pos: number) => (region.rw(mm, buf, 4, pos, false), mm.readU32(buf));
  const r64 = (pos: number) => (region.rw(mm, buf, 8, pos, false), Number(mm.readU64(buf)));
  const w32 = (pos: number, v: number) => (mm.writeU32(buf, v), region.rw(mm, buf, 4, pos, true));
  const w64 = (pos: number, v: number) => (mm.writeU64(buf, BigInt(v)), region.rw(mm, buf, 8, pos, true));
  const readData = (at: number, n: number) => (
    region.rw(mm, buf, n, at, false), [...mm.copyFromUser(buf, n)]
  );
  const writeData = (at: number, bytes: number[]) => (
    mm.copyToUser(buf, Uint8Array.from(bytes)), region.rw(mm, buf, bytes.length, at, true)
  );
  return { mm, device, region, buf, r32, r64, w32, w64, readData, writeData };
}

describe('MigrationRegionV1: header access rules', () => {
  it('starts RUNNING with data_offset right after the 32-byte header', () => {
    const h = harness();
    expect(h.region.size).toBe(32 + 16);
    expect(h.r32(0)).toBe(RUNNING);
    expect(h.r32(4)).toBe(0);
    expect(h.r64(8)).toBe(0);
    expect(h.r64(16)).toBe(32);
    expect(h.r64(24)).toBe(0);
  });

  it('refuses accesses that are not one field at its native width, changing nothing', () => {
    const h = harness();
    for (const [pos, n] of [
      [0, 8],
      [0, 2],
      [2, 4],
      [8, 4],
      [12, 4],
      [16, 16],
      [24, 4],
      [0, 32],
    ] as const) {
      expect(errnoOf(() => h.region.rw(h.mm, h.buf, n, pos, false))).toBe('EINVAL');
      expect(errnoOf(() => h.region.rw(h.mm, h.buf, n, pos, true))).toBe('EINVAL');
    }
    expect(errnoOf(() => h.w64(8, 1))).toBe('EINVAL'); // pending_bytes is read-only
    expect(errnoOf(() => h.w64(16, 64))).toBe('EINVAL'); // data_offset is read-only (the RFC let it move)
    expect(errnoOf(() => h.region.rw(h.mm, h.buf, 4, h.region.size, false))).toBe('EINVAL');
    expect(h.w32(4, 0xffff)).toBe(4); // reserved: writes ignored
    expect(h.r32(4)).toBe(0);
    expect(h.r32(0)).toBe(RUNNING);
    expect(h.r64(16)).toBe(32);
    expect(h.device.arcs).toEqual([]);
  });

  it('device_state: invalid states, changed reserved bits and the error state are EINVAL', () => {
    const h = harness();
    for (const bad of [5, 6, 7, RUNNING | (1 << 3)]) expect(errnoOf(() => h.w32(0, bad))).toBe('EINVAL');
    expect(h.r32(0)).toBe(RUNNING);
    expect(h.device.arcs).toEqual([]);
  });

  it('a bad user pointer is EFAULT and has no side effect', () => {
    const h = harness();
    h.w32(0, SAVING | RUNNING);
    expect(errnoOf(() => h.region.rw(h.mm, 0, 8, 8, false))).toBe('EFAULT'); // pending_bytes read to NULL
    expect(errnoOf(() => h.region.rw(h.mm, 0, 4, 0, true))).toBe('EFAULT');
    expect(h.r64(8)).toBe(8); // the iteration starts only now
    expect(errnoOf(() => h.region.rw(h.mm, 16, 8, 16, false))).toBe('EFAULT'); // data_offset read to NULL page
    expect(h.r64(24)).toBe(0); // no chunk was made available by the failed read
  });
});

describe('MigrationRegionV1: save iteration', () => {
  it('pre-copy then stop-and-copy hand over the whole state in chunks, in order', () => {
    const h = harness(16, 40, 8);
    h.w32(0, SAVING | RUNNING);
    const out: number[] = [];
    const iterate = () => {
      const pending = h.r64(8);
      if (pending === 0) return 0;
      expect(h.r64(8)).toBe(pending); // repeated reads: no side effect
      const off = h.r64(16);
      const size = h.r64(24);
      expect(h.r64(16)).toBe(off); // stable within an iteration
      out.push(...h.readData(off, size));
      return pending;
    };
    expect(iterate()).toBe(8);
    expect(iterate()).toBe(0);
    h.w32(0, SAVING); // stop-and-copy: the rest
    while (iterate() > 0);
    h.w32(0, 0);
    expect(out).toEqual([...h.device.state]);
    expect(h.device.arcs).toEqual(['1->3', '3->2', '2->0']);
  });

  it('data reads need an available chunk and stay inside data_size', () => {
    const h = harness(16, 40, 8);
    expect(errnoOf(() => h.readData(32, 4))).toBe('EINVAL'); // not saving
    h.w32(0, SAVING | RUNNING);
    expect(errnoOf(() => h.readData(32, 4))).toBe('EINVAL'); // no data_offset read yet
    h.r64(8);
    h.r64(16);
    expect(h.readData(32, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(errnoOf(() => h.readData(36, 8))).toBe('EINVAL'); // past data_size 8
    expect(errnoOf(() => h.writeData(32, [1]))).toBe('EINVAL'); // read-only while saving
  });

  it('cancel: pre-copy back to RUNNING ends the session', () => {
    const h = harness();
    h.w32(0, SAVING | RUNNING);
    h.r64(8);
    h.w32(0, RUNNING);
    expect(h.r64(8)).toBe(0);
    expect(h.r64(24)).toBe(0);
    expect(h.device.arcs).toEqual(['1->3', '3->1']);
  });
});

describe('MigrationRegionV1: resume iteration and errors', () => {
  it('the driver consumes each chunk when data_size is written', () => {
    const h = harness(16);
    h.w32(0, RESUMING);
    const off = h.r64(16);
    h.writeData(off, [9, 8, 7]);
    h.w64(24, 3);
    h.writeData(off, [6]);
    h.w64(24, 1);
    expect(h.device.loaded).toEqual([9, 8, 7, 6]);
    expect(errnoOf(() => h.w64(24, 17))).toBe('EINVAL'); // more than the data section
    expect(h.device.loaded).toEqual([9, 8, 7, 6]);
  });

  it('data_size writes outside RESUMING are EINVAL', () => {
    const h = harness();
    expect(errnoOf(() => h.w64(24, 1))).toBe('EINVAL');
    expect(h.device.loaded).toEqual([]);
  });

  it('a failed transition keeps the state, or enters the error state if the device was lost', () => {
    const h = harness();
    h.device.failNext = { errno: 'EBUSY', lose: false };
    expect(errnoOf(() => h.w32(0, SAVING))).toBe('EBUSY');
    expect(h.r32(0)).toBe(RUNNING);
    h.device.failNext = { errno: 'EIO', lose: true };
    expect(errnoOf(() => h.w32(0, SAVING))).toBe('EIO');
    expect(VFIO_DEVICE_STATE_IS_ERROR(h.r32(0))).toBe(true);
    expect(errnoOf(() => h.w32(0, RUNNING))).toBe('EINVAL'); // only a reset recovers
    h.region.reset();
    expect(h.r32(0)).toBe(RUNNING);
  });

  it('rejects bad construction with EINVAL', () => {
    const d = new FakeDevice(new Uint8Array(), 0);
    expect(errnoOf(() => new MigrationRegionV1(d, { dataCapacity: 0 }))).toBe('EINVAL');
    expect(errnoOf(() => new MigrationRegionV1(d, { dataCapacity: 8, dataOffset: 16 }))).toBe('EINVAL');
  });
});

describe('MigrationRegionV1: random access never escapes the region or the uAPI', () => {
  const access = fc.record({
    pos: fc.oneof(fc.constantFrom(0, 4, 8, 16, 24, 32, 40), fc.integer({ min: -4, max: 60 })),
    count: fc.constantFrom(0, 1, 2, 4, 8, 16, 32),
    write: fc.boolean(),
    value: fc.nat(0xffff_ffff),
  });
  test.prop([fc.array(access, { maxLength: 60 })])(
    'state stays valid (or error), rejections carry an errno, guard bytes intact',
    (ops) => {
      const h = harness(16, 40, 8);
      // Guard bytes around the user buffer: the region must never touch them.
      const guardLo = h.mm.alloc(16, 8);
      const buf = h.mm.alloc(32, 8);
      const guardHi = h.mm.alloc(16, 8);
      h.mm.copyToUser(guardLo, new Uint8Array(16).fill(0xa5));
      h.mm.copyToUser(guardHi, new Uint8Array(16).fill(0x5a));
      for (const op of ops) {
        h.mm.writeU32(buf, op.value);
        try {
          const n = h.region.rw(h.mm, buf, op.count, op.pos, op.write);
          expect(n).toBeGreaterThanOrEqual(0);
          expect(n).toBeLessThanOrEqual(op.count);
        } catch (e) {
          expect(e).toBeInstanceOf(KernelError);
        }
        const s = h.region.state;
        expect(VFIO_DEVICE_STATE_VALID(s) || VFIO_DEVICE_STATE_IS_ERROR(s)).toBe(true);
      }
      expect([...h.mm.copyFromUser(guardLo, 16)]).toEqual(new Array(16).fill(0xa5));
      expect([...h.mm.copyFromUser(guardHi, 16)]).toEqual(new Array(16).fill(0x5a));
    },
  );
});
