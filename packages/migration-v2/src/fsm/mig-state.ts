/**
 * `enum vfio_device_mig_state` (include/uapi/linux/vfio.h): the v2 migration states and their numbers,
 * re-exported from `@vfio-sim/vfio-core` (which owns the uAPI constants) so both layers use one definition.
 */
export {
  VFIO_DEVICE_STATE_ERROR,
  VFIO_DEVICE_STATE_PRE_COPY,
  VFIO_DEVICE_STATE_PRE_COPY_P2P,
  VFIO_DEVICE_STATE_RESUMING,
  VFIO_DEVICE_STATE_RUNNING,
  VFIO_DEVICE_STATE_RUNNING_P2P,
  VFIO_DEVICE_STATE_STOP,
  VFIO_DEVICE_STATE_STOP_COPY,
  VFIO_MIGRATION_P2P,
  VFIO_MIGRATION_PRE_COPY,
  VFIO_MIGRATION_STOP_COPY,
} from '@vfio-sim/vfio-core';

import {
  VFIO_DEVICE_STATE_PRE_COPY,
  VFIO_DEVICE_STATE_PRE_COPY_P2P,
  VFIO_DEVICE_STATE_STOP_COPY,
} from '@vfio-sim/vfio-core';

/** Number of states (the array bound the kernel's tables use). */
export const VFIO_DEVICE_NUM_STATES = 8;

/** A v2 migration state number. */
export type VfioDeviceMigState = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

const NAMES = [
  'ERROR',
  'STOP',
  'RUNNING',
  'STOP_COPY',
  'RESUMING',
  'RUNNING_P2P',
  'PRE_COPY',
  'PRE_COPY_P2P',
] as const;

/** The kernel's name for a state (without the VFIO_DEVICE_STATE_ prefix), or `'<n>'` for an unknown number. */
export function migStateName(state: number): string {
  return NAMES[state] ?? `<${state}>`;
}

/** True if `n` is one of the eight state numbers. */
export function isMigState(n: number): n is VfioDeviceMigState {
  return Number.isInteger(n) && n >= 0 && n < VFIO_DEVICE_NUM_STATES;
}

/** The saving group: states that share one data session (and fd). */
export function isSavingState(state: number): boolean {
  return (
    state === VFIO_DEVICE_STATE_PRE_COPY ||
    state === VFIO_DEVICE_STATE_PRE_COPY_P2P ||
    state === VFIO_DEVICE_STATE_STOP_COPY
  );
}
