import { KernelError } from '@vfio-sim/platform';

/** Virtual time shown per second of wall time at speed 1 (µs): the demo's migration takes about 8 s. */
export const LIVE_US_PER_SECOND = 100;

/** Wall time between two frames of the live view (ms). */
export const FRAME_INTERVAL_MS = 100;

/** The slowest speed the live view plays at (× the normal pace). */
export const MIN_SPEED = 0.01;
/** The fastest speed the live view plays at (× the normal pace). */
export const MAX_SPEED = 10_000;

/** The speeds the page offers (the server's own is added when it is not one of them). */
export const SPEED_CHOICES: readonly number[] = [0.25, 0.5, 1, 2, 5, 10, 50];

/**
 * Where the playback is after `elapsedMs` of wall time, started at virtual time `fromUs` at `speed`
 * ({@link LIVE_US_PER_SECOND} µs per second at speed 1), never past `endUs`. Pacing lives only here
 * and in the server's timer: the model itself is in virtual time, computed before it is played.
 */
export function playbackAt(fromUs: number, elapsedMs: number, speed: number, endUs: number): number {
  return Math.min(endUs, fromUs + Math.floor((elapsedMs * LIVE_US_PER_SECOND * speed) / 1000));
}

/**
 * A playback speed from text (`--speed`, the page's `speed=` parameter): a number in
 * [{@link MIN_SPEED}, {@link MAX_SPEED}].
 * @throws KernelError EINVAL otherwise.
 */
export function parseSpeed(text: string): number {
  const speed = Number(text);
  if (text.trim() === '' || !Number.isFinite(speed) || speed < MIN_SPEED || speed > MAX_SPEED)
    throw new KernelError('EINVAL', `speed '${text}' is not a number in [${MIN_SPEED}, ${MAX_SPEED}]`);
  return speed;
}
