/**
 * `enum vfio_device_mig_state` (include/uapi/linux/vfio.h): the v2 migration states and their numbers.
 */
export const VFIO_DEVICE_STATE_ERROR = 0;
export const VFIO_DEVICE_STATE_STOP = 1;
export const VFIO_DEVICE_STATE_RUNNING = 2;
export const VFIO_DEVICE_STATE_STOP_COPY = 3;
export const VFIO_DEVICE_STATE_RESUMING = 4;
export const VFIO_DEVICE_STATE_RUNNING_P2P = 5;
export const VFIO_DEVICE_STATE_PRE_COPY = 6;
export const VFIO_DEVICE_STATE_PRE_COPY_P2P = 7;
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

/** `VFIO_MIGRATION_STOP_COPY`: the device supports STOP, STOP_COPY and RESUMING (mandatory). */
export const VFIO_MIGRATION_STOP_COPY = 1 << 0;
/** `VFIO_MIGRATION_P2P`: adds RUNNING_P2P (and PRE_COPY_P2P with PRE_COPY). */
export const VFIO_MIGRATION_P2P = 1 << 1;
/** `VFIO_MIGRATION_PRE_COPY`: adds PRE_COPY (and PRE_COPY_P2P with P2P). */
export const VFIO_MIGRATION_PRE_COPY = 1 << 2;

/** The saving group: states that share one data session (and fd). */
export function isSavingState(state: number): boolean {
  return (
    state === VFIO_DEVICE_STATE_PRE_COPY ||
    state === VFIO_DEVICE_STATE_PRE_COPY_P2P ||
    state === VFIO_DEVICE_STATE_STOP_COPY
  );
}
