import { fc, test } from '@fast-check/vitest';
import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { MIG_REGION_INDEX, migrationPair, v1Client } from '../__fixtures__/testbed.js';
import { HISI_ACC_V1_ARCS } from './hisi-acc-v1-migration.js';

const REGION_SIZE = 200;
const GUARD = 64;
const VALID_OR_ERROR = new Set([0, 1, 2, 3, 4, 6]);

const access = fc.record({
  write: fc.boolean(),
  pos: fc.oneof(fc.constantFrom(0, 4, 8, 16, 24, 32, 33, 100, 199, 200), fc.integer({ min: 0, max: 260 })),
  count: fc.constantFrom(1, 2, 4, 8, 16, 32, 168, 200),
  value: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 0x11), fc.integer({ min: 0, max: 0xffff_ffff })),
});

describe('the v1 region of a hisi VF (property)', () => {
  test.prop([fc.array(access, { minLength: 1, maxLength: 40 })], { numRuns: 40 })(
    'random accesses never touch user memory outside the buffer, never reach an undocumented state, and fail only with an errno',
    (ops) => {
      const { src } = migrationPair();
      const { process, handle } = src;
      const base = handle.regionOffset(MIG_REGION_INDEX);
      const mem = process.mm;
      const area = mem.alloc(GUARD + 256 + GUARD, 8);
      const buf = area + GUARD;
      const pattern = new Uint8Array(GUARD + 256 + GUARD).map((_, i) => (i * 13 + 7) & 0xff);
      for (const op of ops) {
        mem.copyToUser(area, pattern);
        const payload = new Uint8Array(op.count);
        for (let i = 0; i < Math.min(4, op.count); i++) payload[i] = (op.value >>> (8 * i)) & 0xff;
        if (op.write) mem.copyToUser(buf, payload);
        const errno = errnoOf(() =>
          op.write
            ? process.pwrite(handle.fd, buf, op.count, base + op.pos)
            : process.pread(handle.fd, buf, op.count, base + op.pos),
        );
        if (errno !== undefined) expect(typeof errno).toBe('string');
        const after = mem.copyFromUser(area, pattern.length);
        expect(after.subarray(0, GUARD)).toEqual(pattern.subarray(0, GUARD));
        expect(after.subarray(GUARD + op.count)).toEqual(pattern.subarray(GUARD + op.count));
        const state = v1Client(src).deviceState();
        expect(VALID_OR_ERROR.has(state & 7)).toBe(true);
      }
    },
  );

  test.prop([fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 12 })], { numRuns: 40 })(
    'device_state follows the arc table: a listed arc moves, any other write is EINVAL and changes nothing',
    (targets) => {
      const { src, vm } = migrationPair();
      vm.stop();
      const c = v1Client(src);
      for (const to of targets) {
        const from = c.deviceState() & 7;
        const errno = errnoOf(() => c.setState(0, to));
        const now = c.deviceState() & 7;
        const legal = from === to || HISI_ACC_V1_ARCS.has(`${from}->${to}`);
        if (legal) {
          expect(errno).toBeUndefined();
          expect(now).toBe(to);
        } else {
          expect(errno).toBe('EINVAL');
          expect(now).toBe(from);
        }
      }
    },
  );
});

describe('VFIO_DEVICE_RESET during a migration', () => {
  it('ends the session: RUNNING, window unmapped, nothing pending', () => {
    const { src, vm, srcDev } = migrationPair();
    const c = v1Client(src);
    c.setState(~0, 3);
    vm.stop();
    c.vmStop();
    expect(srcDev.window.isMapped).toBe(true);
    src.handle.reset();
    expect(c.deviceState()).toBe(1);
    expect(srcDev.window.isMapped).toBe(false);
    expect(c.savePending()).toBe(0);
  });
});

it('region size is 32 + 168', () => {
  const { src } = migrationPair();
  expect(src.handle.getRegionInfo(MIG_REGION_INDEX).size).toBe(REGION_SIZE);
});
