import { KernelError } from '@vfio-sim/platform';
import {
  VFIO_DEVICE_STATE_ERROR as ERROR,
  isMigState,
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
  VFIO_DEVICE_NUM_STATES,
  type VfioDeviceMigState,
} from './mig-state.js';

/**
 * `vfio_from_fsm_table[cur][new]` (drivers/vfio/vfio_main.c): the next state on the shortest path from
 * `cur` towards `new`, before optional states the device lacks are skipped.
 */
const FSM: readonly (readonly VfioDeviceMigState[])[] = [
  // cur = ERROR
  [ERROR, ERROR, ERROR, ERROR, ERROR, ERROR, ERROR, ERROR],
  // cur = STOP
  [ERROR, STOP, RUNNING_P2P, STOP_COPY, RESUMING, RUNNING_P2P, RUNNING_P2P, RUNNING_P2P],
  // cur = RUNNING
  [ERROR, RUNNING_P2P, RUNNING, RUNNING_P2P, RUNNING_P2P, RUNNING_P2P, PRE_COPY, RUNNING_P2P],
  // cur = STOP_COPY
  [ERROR, STOP, STOP, STOP_COPY, STOP, STOP, ERROR, ERROR],
  // cur = RESUMING
  [ERROR, STOP, STOP, STOP, RESUMING, STOP, STOP, STOP],
  // cur = RUNNING_P2P
  [ERROR, STOP, RUNNING, STOP, STOP, RUNNING_P2P, RUNNING, PRE_COPY_P2P],
  // cur = PRE_COPY
  [ERROR, RUNNING, RUNNING, PRE_COPY_P2P, RUNNING, RUNNING, PRE_COPY, PRE_COPY_P2P],
  // cur = PRE_COPY_P2P
  [ERROR, RUNNING_P2P, RUNNING_P2P, STOP_COPY, RUNNING_P2P, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P],
];

/** `state_flags_table`: the migration_flags a state needs; ERROR needs ~0 (never satisfiable). */
const STATE_FLAGS: readonly number[] = [
  0xffff_ffff, // ERROR
  SC, // STOP
  SC, // RUNNING
  SC, // STOP_COPY
  SC, // RESUMING
  SC | P2P, // RUNNING_P2P
  SC | PRE, // PRE_COPY
  SC | P2P | PRE, // PRE_COPY_P2P
];

/** Whether a device with `migrationFlags` supports `state` (`(required & flags) == required`). */
export function migStateSupported(migrationFlags: number, state: number): boolean {
  if (!isMigState(state)) return false;
  const required = STATE_FLAGS[state]!;
  return (required & migrationFlags) >>> 0 === required >>> 0;
}

/**
 * The kernel's `vfio_mig_get_next_state()` computed step by step, as the kernel does on every call:
 * validate both states against the feature set, take `vfio_from_fsm_table[cur][new]`, skip optional
 * states the device lacks. {@link vfioMigGetNextState} answers from a table this fills once per
 * feature set (its error path calls it for the message); exported so tests can compare the two.
 * @throws KernelError EINVAL as {@link vfioMigGetNextState}.
 */
export function vfioMigComputeNextState(
  migrationFlags: number,
  cur: number,
  newState: number,
): VfioDeviceMigState {
  if (!isMigState(cur) || !migStateSupported(migrationFlags, cur)) {
    throw new KernelError(
      'EINVAL',
      `current state ${migStateName(cur)} is not supported (WARN_ON in the kernel)`,
    );
  }
  if (!isMigState(newState) || !migStateSupported(migrationFlags, newState)) {
    throw new KernelError('EINVAL', `state ${migStateName(newState)} cannot be requested of this device`);
  }
  let next = FSM[cur]![newState]!;
  while (next !== ERROR && !migStateSupported(migrationFlags, next)) next = FSM[next]![newState]!;
  if (next === ERROR) {
    throw new KernelError('EINVAL', `no arc from ${migStateName(cur)} to ${migStateName(newState)}`);
  }
  return next;
}

/** The flag bits {@link STATE_FLAGS} tests (STOP_COPY | P2P | PRE_COPY): they alone decide the answer. */
const FLAG_BITS = SC | P2P | PRE;

/**
 * `(flags, cur, new) → next` precomputed with the kernel's algorithm: 64 entries per feature set, entry
 * `key << 6 | cur << 3 | new` the next state or -1 (EINVAL). Key `FLAG_BITS + 1` is the all-ones flag
 * word, the only one for which ERROR (which requires ~0) counts as supported.
 */
const NEXT_STATE = new Int8Array((FLAG_BITS + 2) << 6);
for (let key = 0; key <= FLAG_BITS + 1; key++) {
  for (let cur = 0; cur < VFIO_DEVICE_NUM_STATES; cur++) {
    for (let to = 0; to < VFIO_DEVICE_NUM_STATES; to++) {
      let next = -1;
      try {
        next = vfioMigComputeNextState(key > FLAG_BITS ? -1 : key, cur, to);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
      }
      NEXT_STATE[(key << 6) | (cur << 3) | to] = next;
    }
  }
}

/**
 * `vfio_mig_get_next_state()`: one step from `cur` towards `newState` for a device with
 * `migrationFlags`. Drivers call it in a loop (`while (cur != new)`), performing one arc per step.
 *
 * Follows the kernel, including the 2026 fix (Fixes: 4db52602a607): when skipping unsupported optional
 * states reaches ERROR the loop stops and the request fails with EINVAL, instead of spinning forever
 * (STOP_COPY → PRE_COPY / PRE_COPY_P2P hung the unpatched kernel with the state mutex held). The
 * answers are precomputed per feature set (a table lookup per call); the kernel computes them per call.
 *
 * @throws KernelError EINVAL if `cur` or `newState` is out of range or unsupported (ERROR is never
 * supported, so it can never be requested), or if no path exists.
 */
export function vfioMigGetNextState(
  migrationFlags: number,
  cur: number,
  newState: number,
): VfioDeviceMigState {
  // `flags | 0` is how the kernel's u32 bit tests see the number (ToInt32); only FLAG_BITS matter,
  // except for the all-ones word. `(x & 7) === x` holds exactly for the integers 0..7.
  const f = migrationFlags | 0;
  if ((cur & 7) === cur && (newState & 7) === newState) {
    const next = NEXT_STATE[((f === -1 ? FLAG_BITS + 1 : f & FLAG_BITS) << 6) | (cur << 3) | newState]!;
    if (next >= 0) return next as VfioDeviceMigState;
  }
  // No answer in the table: the computation throws the kernel's EINVAL with its reason.
  vfioMigComputeNextState(migrationFlags, cur, newState);
  throw new Error(`vfio_mig_get_next_state: table has no answer for ${cur} → ${newState}`);
}

/**
 * The whole path the kernel walks from `cur` to `newState` (the arcs a driver performs, in order),
 * computed with {@link vfioMigGetNextState}. Empty when `cur === newState`.
 * @throws KernelError EINVAL as {@link vfioMigGetNextState}.
 */
export function vfioMigPath(migrationFlags: number, cur: number, newState: number): VfioDeviceMigState[] {
  const path: VfioDeviceMigState[] = [];
  let at: number = cur;
  for (let guard = 0; at !== newState; guard++) {
    if (guard > VFIO_DEVICE_NUM_STATES) throw new KernelError('EINVAL', 'migration path does not converge');
    const next = vfioMigGetNextState(migrationFlags, at, newState);
    path.push(next);
    at = next;
  }
  return path;
}
