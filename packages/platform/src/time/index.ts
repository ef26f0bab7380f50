export { EventTrack } from './event-track.js';
export { pollTimeout } from './poll-timeout.js';
export {
  DEFAULT_STORM_EVENTS,
  DEFAULT_STORM_WINDOW_US,
  type TimerHandle,
  type TimeSource,
  VirtualClock,
  type VirtualClockOptions,
} from './virtual-clock.js';
