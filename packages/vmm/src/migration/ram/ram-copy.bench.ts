import { GuestMemory, VirtualClock } from '@vfio-sim/platform';
import { bench, describe } from 'vitest';
import { vfGuest } from '../../__fixtures__/vf-guest.js';
import { createHost } from '../../host/host.js';
import { MigrationLink } from '../../link/link.js';
import { Vm } from '../../vm/vm.js';
import { MemoryToucher } from '../../workload/memory-toucher.js';
import { DirtySync } from './dirty-sync.js';
import { copyGuestMemory } from './guest-memory-copy.js';
import { RamPrecopy } from './ram-precopy.js';

// Guest RAM moved into a fresh destination: 64 MiB touched (by the seeded memory toucher, in 1 MiB
// stores) in a 256 MiB guest with a ZIP VF passed through (RAM in the IOMMU with huge leaves, the
// default). Baselines: Node's Buffer.copy of the same 64 MiB, into a fresh Buffer (what "a fresh
// destination" costs natively) and into one allocated once.
//
// - RAM copy: copyGuestMemory (the stop-and-copy of every touched page) into a new GuestMemory,
//   released after (a VMM frees a VM's RAM when the VM goes; its slabs return to the pool).
// - Pre-copy round: RAM's save_setup (dirty tracking on, every touched page pending), round 0 (every
//   page sent in runs, then the dirty sync of the CPU log and the IOMMU), the stopped round and the
//   cleanup, into a new incoming VM that quits after.
const TOUCHED = 64 << 20;
const clock = new VirtualClock();
const host = createHost({ name: 'source', clock, numVfs: 1 });
const target = createHost({ name: 'destination', clock, numVfs: 1 });
const { vm } = vfGuest(host, 256 << 20);
const toucher = new MemoryToucher({ base: 16 << 20, bytes: TOUCHED, seed: 1 });
toucher.touch(vm.memory);
const srcBuf = Buffer.from(vm.memory.readBytes(16 << 20, TOUCHED));
const dstBuf = Buffer.alloc(TOUCHED);
const out = { sink: 0 };

/** One pre-copy round into a new incoming VM; returns the pages round 0 sent. */
function precopyRound(check = false): number {
  const dst = Vm.incoming({ name: 'guest', host: target, memorySize: vm.memory.size });
  const ram = new RamPrecopy(vm, dst, new MigrationLink(clock), new DirtySync({ vm }));
  ram.setup();
  const sent = ram.round().pagesSent;
  ram.complete();
  if (check && toucher.verify(dst.memory).length > 0) throw new Error('bench setup: the round lost pages');
  out.sink ^= dst.memory.readU8((16 << 20) + TOUCHED - 1);
  dst.quit();
  return sent;
}

/** The stop-and-copy of every touched page into a new GuestMemory; returns the pages copied. */
function ramCopy(check = false): number {
  const dst = new GuestMemory(vm.memory.size);
  const { pages } = copyGuestMemory(vm.memory, dst);
  if (check && toucher.verify(dst).length > 0) throw new Error('bench setup: the copy lost pages');
  out.sink ^= dst.readU8((16 << 20) + TOUCHED - 1);
  dst.release();
  return pages;
}

// Fail here, loudly, rather than as a figure of a copy that did not happen.
if (precopyRound(true) < TOUCHED / 4096 || ramCopy(true) < TOUCHED / 4096)
  throw new Error('bench setup: fewer pages moved than the toucher wrote');

describe(`guest RAM into a fresh destination (${TOUCHED >> 20} MiB touched)`, () => {
  bench('baseline: Buffer.alloc + Buffer.copy of the same bytes', () => {
    const dst = Buffer.alloc(TOUCHED);
    srcBuf.copy(dst);
    out.sink ^= dst[TOUCHED - 1]!;
  });
  bench('baseline: Buffer.copy into a Buffer allocated once', () => {
    srcBuf.copy(dstBuf);
    out.sink ^= dstBuf[TOUCHED - 1]!;
  });
  bench('RAM copy (copyGuestMemory, stop-and-copy)', () => {
    ramCopy();
  });
  bench('pre-copy round (setup, round 0 with its dirty sync, stopped round, cleanup)', () => {
    precopyRound();
  });
});
