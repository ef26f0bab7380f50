import { fc, test } from '@fast-check/vitest';
import { errnoOf, KernelError, type KernelFile } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { fakeHost } from '../__fixtures__/fake-v2-device.js';
import {
  VFIO_DEVICE_STATE_ERROR as ERROR,
  isSavingState,
  migStateName,
  VFIO_MIGRATION_P2P as P2P,
  VFIO_MIGRATION_PRE_COPY as PRE,
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_MIGRATION_STOP_COPY as SC,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
} from '../fsm/mig-state.js';
import { vfioMigPath } from '../fsm/next-state.js';
import { vfioMigSetStateLoop } from './set-state-loop.js';

const FLAG_SETS = [SC, SC | P2P, SC | PRE, SC | P2P | PRE];
const name = migStateName;

/** Does the arc into `next` from `cur` open a new data session? */
const opens = (cur: number, next: number) =>
  (isSavingState(next) && !isSavingState(cur)) || (next === RESUMING && cur !== RESUMING);

describe('vfioMigSetStateLoop through VFIO_DEVICE_FEATURE (model-based)', () => {
  test.prop(
    [
      fc.constantFrom(...FLAG_SETS),
      fc.array(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant(0xffff_ffff)), {
        minLength: 1,
        maxLength: 16,
      }),
    ],
    { numRuns: 150 },
  )(
    'legal targets walk vfioMigPath and end there; illegal ones are EINVAL with the state unchanged; a fd comes back exactly when the last arc opens a session',
    (flags, targets) => {
      const { dev, handle, process } = fakeHost('p', { flags });
      for (const target of targets) {
        const before = handle.getMigState();
        let path: number[] | undefined;
        try {
          path = vfioMigPath(flags, before, target);
        } catch {
          path = undefined;
        }
        const arcsBefore = dev.arcs.length;
        let fd: number | undefined;
        const errno = errnoOf(() => {
          fd = handle.setMigState(target);
        });
        if (path === undefined) {
          expect(errno).toBe('EINVAL');
          expect(handle.getMigState()).toBe(before);
          expect(dev.arcs.length).toBe(arcsBefore);
          continue;
        }
        expect(errno).toBeUndefined();
        expect(handle.getMigState()).toBe(target);
        const full = [before, ...path];
        expect(dev.arcs.slice(arcsBefore)).toEqual(path.map((s, i) => `${name(full[i]!)}>${name(s)}`));
        const last = path.length > 0 && opens(full.at(-2)!, target);
        expect(fd !== undefined).toBe(last);
        if (fd !== undefined) process.close(fd);
      }
    },
  );

  it('a failing arc stops the walk at the last completed state, with the arc errno', () => {
    const { dev, handle } = fakeHost('f');
    dev.failArcs.set('STOP>STOP_COPY', 'EBUSY');
    expect(errnoOf(() => handle.setMigState(STOP_COPY))).toBe('EBUSY');
    expect(handle.getMigState()).toBe(STOP); // RUNNING → STOP done, STOP → STOP_COPY failed
    expect(dev.saving).toBeUndefined();
    expect(handle.setMigState(STOP_COPY)).toBeGreaterThan(2); // retry works
  });

  it('a step may declare ERROR; from ERROR every SET is EINVAL until VFIO_DEVICE_RESET', () => {
    const { dev, handle } = fakeHost('e');
    handle.setMigState(STOP);
    dev.losingArcs.add('STOP>RESUMING');
    expect(errnoOf(() => handle.setMigState(RESUMING))).toBe('EIO');
    expect(handle.getMigState()).toBe(ERROR);
    for (const s of [STOP, RUNNING, STOP_COPY, RESUMING, PRE_COPY]) {
      expect(errnoOf(() => handle.setMigState(s))).toBe('EINVAL');
      expect(handle.getMigState()).toBe(ERROR);
    }
    expect(errnoOf(() => handle.setMigState(ERROR))).toBeUndefined(); // cur == new: nothing to do
    handle.reset();
    expect(handle.getMigState()).toBe(RUNNING);
  });

  it('a file returned before the final arc is dropped and the call fails with EINVAL (WARN_ON)', () => {
    const { dev, handle } = fakeHost('w');
    dev.buggyArc = 'RUNNING>STOP';
    expect(errnoOf(() => handle.setMigState(STOP_COPY))).toBe('EINVAL');
    expect(handle.getMigState()).toBe(STOP); // the arc completed; the walk stopped after it
    expect(dev.saving?.filp.released).toBe(false); // the driver's own reference remains
    expect(handle.process.openFds()).toEqual([handle.fd]); // no fd was installed
  });

  it('works on any device-like object (no vfio needed) and never runs an arc for cur == new', () => {
    const dev = { migState: RUNNING as number, migrationFlags: SC, name: 'x' };
    const seen: string[] = [];
    const step = (c: number, n: number): KernelFile<unknown> | undefined => {
      seen.push(`${name(c)}>${name(n)}`);
      return undefined;
    };
    expect(vfioMigSetStateLoop(dev, RUNNING, step)).toBeUndefined();
    vfioMigSetStateLoop(dev, STOP_COPY, step);
    expect(seen).toEqual(['RUNNING>STOP', 'STOP>STOP_COPY']);
    const failing = () => {
      throw new KernelError('ETIMEDOUT', 'x');
    };
    expect(errnoOf(() => vfioMigSetStateLoop(dev, RUNNING, failing))).toBe('ETIMEDOUT');
    expect(dev.migState).toBe(STOP_COPY);
  });
});
