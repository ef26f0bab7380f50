import { fc, test } from '@fast-check/vitest';
import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import {
  VFIO_DEVICE_STATE_ERROR as ERROR,
  isSavingState,
  migStateName,
  VFIO_MIGRATION_P2P as P2P,
  VFIO_MIGRATION_PRE_COPY as PRE,
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_PRE_COPY_P2P as PRE_COPY_P2P,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_RUNNING_P2P as RUNNING_P2P,
  VFIO_MIGRATION_STOP_COPY as SC,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
} from './mig-state.js';
import {
  migStateSupported,
  vfioMigComputeNextState,
  vfioMigGetNextState,
  vfioMigPath,
} from './next-state.js';

const ALL = [ERROR, STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P];
const FLAG_SETS = [SC, SC | P2P, SC | PRE, SC | P2P | PRE];
const name = (s: number) => migStateName(s);

/** Every arc the algorithm can ask a driver to perform, for a feature set (enumerated). */
function arcs(flags: number): Set<string> {
  const out = new Set<string>();
  for (const cur of ALL.filter((s) => migStateSupported(flags, s))) {
    for (const target of ALL.filter((s) => migStateSupported(flags, s))) {
      let at = cur;
      try {
        for (const next of vfioMigPath(flags, cur, target)) {
          out.add(`${name(at)}>${name(next)}`);
          at = next;
        }
      } catch {
        // no path (STOP_COPY → PRE_COPY*): nothing to perform
      }
    }
  }
  return out;
}

describe('vfio_mig_get_next_state', () => {
  it('hand-checked paths for STOP_COPY|PRE_COPY (the hisi_acc feature set)', () => {
    const f = SC | PRE;
    expect(vfioMigPath(f, RUNNING, STOP_COPY)).toEqual([STOP, STOP_COPY]);
    expect(vfioMigPath(f, RESUMING, PRE_COPY)).toEqual([STOP, RUNNING, PRE_COPY]);
    expect(vfioMigPath(f, PRE_COPY, RESUMING)).toEqual([RUNNING, STOP, RESUMING]);
    expect(vfioMigPath(f, PRE_COPY, STOP_COPY)).toEqual([STOP_COPY]); // via the skipped PRE_COPY_P2P
    expect(vfioMigPath(f, STOP, STOP)).toEqual([]);
  });

  it('the arcs a driver must implement, per feature set, match the kernel comment', () => {
    expect([...arcs(SC)].sort()).toEqual(
      [
        'RUNNING>STOP',
        'STOP>RUNNING',
        'STOP>STOP_COPY',
        'STOP_COPY>STOP',
        'STOP>RESUMING',
        'RESUMING>STOP',
      ].sort(),
    );
    expect([...arcs(SC | P2P)].sort()).toEqual(
      [
        'RUNNING>RUNNING_P2P',
        'RUNNING_P2P>RUNNING',
        'RUNNING_P2P>STOP',
        'STOP>RUNNING_P2P',
        'STOP>STOP_COPY',
        'STOP_COPY>STOP',
        'STOP>RESUMING',
        'RESUMING>STOP',
      ].sort(),
    );
    expect([...arcs(SC | PRE)].sort()).toEqual(
      [
        'RUNNING>STOP',
        'STOP>RUNNING',
        'STOP>STOP_COPY',
        'STOP_COPY>STOP',
        'STOP>RESUMING',
        'RESUMING>STOP',
        'RUNNING>PRE_COPY',
        'PRE_COPY>RUNNING',
        'PRE_COPY>STOP_COPY',
      ].sort(),
    );
    expect([...arcs(SC | P2P | PRE)].sort()).toEqual(
      [
        'RUNNING>RUNNING_P2P',
        'RUNNING_P2P>RUNNING',
        'RUNNING_P2P>STOP',
        'STOP>RUNNING_P2P',
        'STOP>STOP_COPY',
        'STOP_COPY>STOP',
        'STOP>RESUMING',
        'RESUMING>STOP',
        'RUNNING>PRE_COPY',
        'PRE_COPY>RUNNING',
        'PRE_COPY>PRE_COPY_P2P',
        'PRE_COPY_P2P>PRE_COPY',
        'PRE_COPY_P2P>RUNNING_P2P',
        'PRE_COPY_P2P>STOP_COPY',
        'RUNNING_P2P>PRE_COPY_P2P',
      ].sort(),
    );
  });

  it('STOP_COPY → PRE_COPY(_P2P) fails with EINVAL (the 2026 fix; the unpatched kernel spun forever)', () => {
    expect(errnoOf(() => vfioMigGetNextState(SC | PRE, STOP_COPY, PRE_COPY))).toBe('EINVAL');
    expect(errnoOf(() => vfioMigGetNextState(SC | P2P | PRE, STOP_COPY, PRE_COPY_P2P))).toBe('EINVAL');
  });

  it('ERROR can never be requested; unsupported and out-of-range states are EINVAL', () => {
    for (const f of FLAG_SETS) {
      for (const cur of ALL.filter((s) => migStateSupported(f, s))) {
        expect(errnoOf(() => vfioMigGetNextState(f, cur, ERROR))).toBe('EINVAL');
        expect(errnoOf(() => vfioMigGetNextState(f, cur, 8))).toBe('EINVAL');
        expect(errnoOf(() => vfioMigGetNextState(f, cur, -1))).toBe('EINVAL');
      }
      expect(errnoOf(() => vfioMigGetNextState(f, ERROR, RUNNING))).toBe('EINVAL');
    }
    expect(errnoOf(() => vfioMigGetNextState(SC, RUNNING, PRE_COPY))).toBe('EINVAL');
    expect(errnoOf(() => vfioMigGetNextState(SC | PRE, RUNNING, RUNNING_P2P))).toBe('EINVAL');
  });

  it('for every feature set and pair: paths end at the target through supported states; a new session opens only at the end', () => {
    for (const f of FLAG_SETS) {
      const supported = ALL.filter((s) => migStateSupported(f, s));
      for (const cur of supported) {
        for (const target of supported) {
          let path: number[];
          try {
            path = vfioMigPath(f, cur, target);
          } catch {
            expect(cur).toBe(STOP_COPY);
            expect([PRE_COPY, PRE_COPY_P2P]).toContain(target);
            continue;
          }
          expect(path.at(-1) ?? cur).toBe(target);
          expect(path.every((s) => migStateSupported(f, s))).toBe(true);
          // Arcs that open a new data session (into the saving group from outside it, or into RESUMING) end the path.
          const full = [cur, ...path];
          for (let i = 1; i < full.length - 1; i++) {
            const opens = (isSavingState(full[i]!) && !isSavingState(full[i - 1]!)) || full[i] === RESUMING;
            expect(opens).toBe(false);
          }
        }
      }
    }
  });

  // The precomputed answer equals the per-call computation for any flag word and any state numbers
  // (including out-of-range, negative and fractional ones): same state, or the same errno.
  const answer = (fn: () => number) => {
    const errno = errnoOf(fn);
    return errno ?? fn();
  };
  test.prop([
    fc.oneof(
      fc.constantFrom(0, SC, SC | P2P, SC | PRE, SC | P2P | PRE, 0xffff_ffff, -1),
      fc.integer(),
      fc.nat(),
    ),
    fc.oneof(fc.integer({ min: -2, max: 9 }), fc.double()),
    fc.oneof(fc.integer({ min: -2, max: 9 }), fc.double()),
  ])('the table answers exactly what the kernel computes', (flags, cur, target) => {
    expect(answer(() => vfioMigGetNextState(flags, cur, target))).toEqual(
      answer(() => vfioMigComputeNextState(flags, cur, target)),
    );
  });

  it('with every flag bit set ERROR counts as supported (~0 & ~0), as the kernel tests it', () => {
    expect(migStateSupported(0xffff_ffff, ERROR)).toBe(true);
    // ...yet every arc into or out of ERROR is ERROR in the table: still no path.
    expect(errnoOf(() => vfioMigGetNextState(0xffff_ffff, ERROR, RUNNING))).toBe('EINVAL');
    expect(errnoOf(() => vfioMigGetNextState(0xffff_ffff, RUNNING, ERROR))).toBe('EINVAL');
    expect(vfioMigGetNextState(0xffff_ffff, RUNNING, STOP_COPY)).toBe(RUNNING_P2P);
  });
});
