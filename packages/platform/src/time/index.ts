export { pollTimeout } from './poll-timeout.js';
export { type TimerHandle, type TimeSource, VirtualClock } from './virtual-clock.js';
