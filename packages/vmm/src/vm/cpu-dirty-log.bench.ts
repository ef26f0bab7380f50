import { GuestMemory } from '@vfio-sim/platform';
import { bench, describe } from 'vitest';
import { CpuDirtyLog } from './cpu-dirty-log.js';

// Guest CPU stores spread over 1024 pages: plain guest memory (no observer, the baseline) against the
// same memory with the CPU dirty log attached and logging. The log's cost per store is one bitmap OR.
const SIZE = 16 << 20;
const plain = new GuestMemory(SIZE);
const logged = new GuestMemory(SIZE);
const log = new CpuDirtyLog(logged);
log.start();

function stores(mem: GuestMemory): void {
  for (let i = 0; i < 65_536; i++) mem.writeU32(((i * 4099) & 0x3ff) * 4096 + ((i * 4) & 0xffc), i);
}

describe('guest CPU stores (64 Ki writeU32 over 1024 pages)', () => {
  bench('baseline: no dirty log', () => {
    stores(plain);
  });
  bench('CPU dirty log logging', () => {
    stores(logged);
  });
});
