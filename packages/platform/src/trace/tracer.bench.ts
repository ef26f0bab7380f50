import { bench, describe } from 'vitest';
import { VirtualClock } from '../time/virtual-clock.js';
import { Tracer } from './tracer.js';

// A register-file write (the hottest traced path) with and without a disabled tracer on it.
const regs = new Uint32Array(1024);
const clock = new VirtualClock();
const off = Tracer.disabled(clock);
const N = 100_000;

describe('register write loop, 100k writes', () => {
  bench('baseline: no tracing code', () => {
    for (let i = 0; i < N; i++) regs[i & 1023] = i;
  });
  bench('tracing compiled in, tracer disabled (guarded)', () => {
    for (let i = 0; i < N; i++) {
      regs[i & 1023] = i;
      if (off.enabled) off.instant('qm.reg', 'write', { offset: i & 1023, value: i });
    }
  });
  bench('tracing compiled in, tracer disabled (unguarded call)', () => {
    for (let i = 0; i < N; i++) {
      regs[i & 1023] = i;
      off.instant('qm.reg', 'write');
    }
  });
});
