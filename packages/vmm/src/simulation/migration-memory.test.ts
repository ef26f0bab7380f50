import type { UserHeapStats } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import type { Vm } from '../vm/vm.js';
import { MemoryToucher } from '../workload/memory-toucher.js';
import { type MigrationProtocol, migrate } from './migrate.js';
import { Simulation } from './simulation.js';

/** A guest's QEMU heap as `mallinfo` would tell it, without the guest-RAM mappings (gone at quit). */
const heapOf = (vm: Vm): Omit<UserHeapStats, 'mappings'> => {
  const { mappings: _, ...heap } = vm.process.mm.heapStats();
  return heap;
};

/** Two one-VF hosts and a 16 MiB guest with a ZIP workload on the first. */
function world(seed: number) {
  const sim = new Simulation({ seed });
  const a = sim.createHost({ name: 'a', numVfs: 1 });
  const b = sim.createHost({ name: 'b', numVfs: 1 });
  const guest = sim.createGuest({ host: a, memory: 16 << 20 });
  guest.startWorkload({ jobs: 4, periodUs: 20, limit: 4 });
  sim.run(50);
  return { sim, a, b, guest };
}

describe('what a migration takes, it gives back', () => {
  it.each(['v1', 'v2'] as const)(
    '%s: a long-lived QEMU whose migrations keep failing ends each with the heap it started with',
    (protocol: MigrationProtocol) => {
      const { b, guest } = world(4);
      const vm = guest.vm;
      const start = heapOf(vm);
      for (let i = 0; i < 8; i++) {
        // the destination refuses the first vfio section of the stop-and-copy (cut in flight): the
        // migration fails after RAM pre-copy, the clients and the dirty sync had taken their memory
        const report = migrate(guest, {
          to: b,
          protocol,
          link: { faults: [{ kind: 'cut', section: 0, phase: 'stop-and-copy', keep: 0 }] },
          jobsAfter: 1,
        });
        expect(report.outcome).toBe('aborted');
        expect(report.verdict).toBe('aborted');
        expect(guest.vm).toBe(vm);
        expect(heapOf(vm)).toEqual(start);
        expect(b.assignable[0]!.owner).toBeUndefined(); // the destination QEMU exited
      }
      expect(guest.tally().verified).toBe(guest.tally().submitted);
    },
  );

  it.each(['v1', 'v2'] as const)(
    '%s: 12 migrations back and forth — every QEMU ends with the heap of a freshly booted one, and its RAM is given back',
    (protocol: MigrationProtocol) => {
      const { sim, a, b, guest } = world(5);
      const booted = heapOf(guest.vm);
      const vms: Vm[] = [guest.vm];
      for (let i = 0; i < 12; i++) {
        const from = guest.vm;
        const report = migrate(guest, { to: i % 2 === 0 ? b : a, protocol, jobsAfter: 1 });
        expect(report.result).toBe('PASS');
        vms.push(guest.vm);
        // the source QEMU quit: its heap empty (the device fd's buffer went with the fd), its RAM
        // unmapped and released
        expect(from.process.mm.heapStats()).toMatchObject({
          used: 0,
          blocks: 0,
          residentBytes: 0,
          mappings: 0,
        });
        expect(from.memory.hostBytes()).toBe(0);
        // the destination QEMU runs the guest with nothing of the migration left on its heap
        expect(heapOf(guest.vm)).toEqual(booted);
      }
      expect(new Set(vms).size).toBe(13);
      sim.runUntilIdle();
      expect(guest.tally().verified).toBe(guest.tally().submitted);
    },
  );

  it('a 1 TiB guest with 8 MiB touched migrates and comes back: each host holds what the guest touched', () => {
    const sim = new Simulation({ seed: 6 });
    const a = sim.createHost({ name: 'a', numVfs: 1 });
    const b = sim.createHost({ name: 'b', numVfs: 1 });
    const guest = sim.createGuest({ host: a, memory: 2 ** 40 });
    guest.startWorkload({ jobs: 4, periodUs: 20, limit: 4 });
    const toucher = new MemoryToucher({ base: 300 * 2 ** 30, bytes: 8 << 20, seed: 6 });
    toucher.touch(guest.vm.memory);
    for (const to of [b, a]) {
      const from = guest.vm;
      const touched = from.memory.touchedBytes();
      const report = migrate(guest, { to, protocol: 'v2', jobsAfter: 1 });
      expect(report.failures).toEqual([]);
      expect(toucher.verify(guest.vm.memory)).toEqual([]);
      const held = guest.vm.memory.hostBytes() + guest.vm.process.mm.heapStats().residentBytes;
      expect(held).toBeLessThanOrEqual(1.5 * touched);
      expect(from.memory.hostBytes()).toBe(0);
    }
  });
});
