/**
 * The v1 `device_state` bits (include/uapi/linux/vfio.h before v5.18; renamed `_V1` in v5.18 with the
 * same values). Bits 3..31 are reserved: userspace preserves them with a read-modify-write.
 */
/**
 * `VFIO_DEVICE_STATE_V1_STOP` (include/uapi/linux/vfio.h, v5.8–v5.17 `VFIO_DEVICE_STATE_STOP`):
 * `device_state` 0, stopped, not saving or resuming.
 */
export const VFIO_DEVICE_STATE_V1_STOP = 0;
/**
 * `VFIO_DEVICE_STATE_V1_RUNNING` (include/uapi/linux/vfio.h, v5.8–v5.17): `device_state` bit 0, the device
 * runs.
 */
export const VFIO_DEVICE_STATE_V1_RUNNING = 1 << 0;
/**
 * `VFIO_DEVICE_STATE_V1_SAVING` (include/uapi/linux/vfio.h, v5.8–v5.17): `device_state` bit 1, state is
 * being read out (with RUNNING: pre-copy; alone: stop-and-copy).
 */
export const VFIO_DEVICE_STATE_V1_SAVING = 1 << 1;
/**
 * `VFIO_DEVICE_STATE_V1_RESUMING` (include/uapi/linux/vfio.h, v5.8–v5.17): `device_state` bit 2, state is
 * being written in; SAVING|RESUMING is the error state.
 */
export const VFIO_DEVICE_STATE_V1_RESUMING = 1 << 2;
/** `VFIO_DEVICE_STATE_MASK`: the three defined bits. */
export const VFIO_DEVICE_STATE_MASK =
  VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RESUMING;

/**
 * `VFIO_DEVICE_STATE_VALID(state)`: with the RESUMING bit set, the masked state must be exactly RESUMING;
 * every other combination is valid. So 101, 110 (the error state) and 111 are invalid.
 */
export function VFIO_DEVICE_STATE_VALID(state: number): boolean {
  return (state & VFIO_DEVICE_STATE_V1_RESUMING) !== 0
    ? (state & VFIO_DEVICE_STATE_MASK) === VFIO_DEVICE_STATE_V1_RESUMING
    : true;
}

/** `VFIO_DEVICE_STATE_IS_ERROR(state)`: the masked state is SAVING|RESUMING. */
export function VFIO_DEVICE_STATE_IS_ERROR(state: number): boolean {
  return (state & VFIO_DEVICE_STATE_MASK) === (VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RESUMING);
}

/** `VFIO_DEVICE_STATE_SET_ERROR(state)`: keep the reserved bits, set SAVING|RESUMING. */
export function VFIO_DEVICE_STATE_SET_ERROR(state: number): number {
  return (
    ((state & ~VFIO_DEVICE_STATE_MASK) | VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RESUMING) >>> 0
  );
}

/** True when the SAVING bit is set (pre-copy 011 or stop-and-copy 010). */
export function isSaving(state: number): boolean {
  return (state & VFIO_DEVICE_STATE_MASK & ~VFIO_DEVICE_STATE_V1_RUNNING) === VFIO_DEVICE_STATE_V1_SAVING;
}

/** The uAPI's name for a masked state, e.g. `'pre-copy'` for 011. */
export function deviceStateName(state: number): string {
  switch (state & VFIO_DEVICE_STATE_MASK) {
    case 0:
      return 'stop';
    case 1:
      return 'running';
    case 2:
      return 'stop-and-copy';
    case 3:
      return 'pre-copy';
    case 4:
      return 'resuming';
    case 6:
      return 'error';
    default:
      return 'invalid';
  }
}
