import { fc, test } from '@fast-check/vitest';
import {
  isSavingState,
  migStateName,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
  vfioMigPath,
} from '@vfio-sim/migration-v2';
import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { migrationPair, ZIP_DEFLATE, zipInputs } from '../__fixtures__/testbed.js';
import { HISI_ACC_MIGRATION_FLAGS, HISI_ACC_V2_ARCS } from './hisi-acc-v2-migration.js';

const FLAGS = HISI_ACC_MIGRATION_FLAGS;
const MAPPED = new Set([STOP, STOP_COPY, RESUMING]);

type Action = { kind: 'set'; target: number } | { kind: 'reset' };
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .oneof(fc.integer({ min: 0, max: 9 }), fc.constant(0xffff_ffff))
      .map((target) => ({ kind: 'set' as const, target })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
);

describe('the v2 FSM of a hisi VF through VFIO_DEVICE_FEATURE (model-based)', () => {
  it('migration_flags are STOP_COPY | PRE_COPY; the arcs the FSM can ask for are exactly the driver arcs', () => {
    const { src } = migrationPair();
    expect(src.handle.getMigrationFlags()).toBe(5);
    const asked = new Set<string>();
    for (const a of [0, 1, 2, 3, 4, 5, 6, 7]) {
      for (const b of [0, 1, 2, 3, 4, 5, 6, 7]) {
        let path: number[];
        try {
          path = vfioMigPath(FLAGS, a, b);
        } catch {
          continue;
        }
        [a, ...path].slice(0, -1).forEach((from, i) => {
          asked.add(`${migStateName(from)}>${migStateName(path[i]!)}`);
        });
      }
    }
    expect([...asked].sort()).toEqual([...HISI_ACC_V2_ARCS].sort());
  });

  test.prop([fc.array(action, { minLength: 1, maxLength: 14 })], { numRuns: 40 })(
    'legal targets are reached (RESUMING → STOP needs a whole stream), illegal ones are EINVAL with nothing changed; the window is mapped exactly when stopped',
    (actions) => {
      const { src, vm, srcDev } = migrationPair();
      for (const input of zipInputs(9, 2)) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
      src.clock.runUntilIdle();
      vm.stop();
      const { handle, process } = src;
      const buf = process.mm.alloc(256, 8);
      let lastStream: Uint8Array | undefined;
      let resumeLen = 0;
      for (const a of actions) {
        if (a.kind === 'reset') {
          handle.reset();
          resumeLen = 0;
          expect(handle.getMigState()).toBe(RUNNING);
          expect(srcDev.savingMigf).toBeUndefined();
          expect(srcDev.resumingMigf).toBeUndefined();
          continue;
        }
        const before = handle.getMigState();
        let path: number[] | undefined;
        try {
          path = vfioMigPath(FLAGS, before, a.target);
        } catch {
          path = undefined;
        }
        let fd: number | undefined;
        const errno = errnoOf(() => {
          fd = handle.setMigState(a.target);
        });
        if (path === undefined) {
          expect(errno).toBe('EINVAL');
          expect(handle.getMigState()).toBe(before);
          continue;
        }
        const full = [before, ...path];
        const resumeAt = full.findIndex((s, i) => s === RESUMING && full[i + 1] === STOP);
        const loadable = resumeLen === 40 || resumeLen === 176;
        if (resumeAt >= 0 && !loadable) {
          expect(errno).toBe('EINVAL');
          expect(handle.getMigState()).toBe(RESUMING);
          continue;
        }
        expect(errno).toBeUndefined();
        expect(handle.getMigState()).toBe(a.target);
        expect(srcDev.window.isMapped).toBe(MAPPED.has(a.target));
        if (resumeAt >= 0) resumeLen = 0;
        const prev = full.at(-2);
        const opens =
          prev !== undefined && ((isSavingState(a.target) && !isSavingState(prev)) || a.target === RESUMING);
        expect(fd !== undefined).toBe(opens);
        if (fd === undefined) continue;
        if (a.target === RESUMING) {
          if (lastStream !== undefined) {
            process.mm.copyToUser(buf, lastStream);
            expect(process.write(fd, buf, lastStream.length)).toBe(lastStream.length);
            resumeLen = lastStream.length;
          }
        } else {
          const n = process.read(fd, buf, 256);
          expect(n === 40 || n === 176).toBe(true);
          lastStream = process.mm.copyFromUser(buf, n);
        }
        process.close(fd);
      }
    },
  );
});
