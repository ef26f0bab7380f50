import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { MemoryToucher, startTouchStream } from '../workload/memory-toucher.js';
import { migrate } from './migrate.js';
import { Simulation } from './simulation.js';

/**
 * `pnpm soak:migrations` (and `pnpm soak`): 100,000 consecutive v2 live migrations of one guest between
 * one pair of hosts, back and forth — nothing may run out (no ENOMEM, every migration PASS) and the
 * process's RSS must stay flat: every sample after the first 1,000 migrations within ±10 % of the
 * sample at 1,000 (RSS after a full GC, every 1,000 migrations). The guest: 32 MiB, a ZIP VF whose
 * driver ran 4 jobs, 4 MiB of RAM filled by the seeded memory toucher, which keeps rewriting 4 pages
 * every 50 µs while each migration runs (RAM pre-copy rounds with CPU-dirty pages). Every 1,000th
 * migration the toucher checks the destination holds what it wrote last. The whole run is one
 * synchronous loop: iommufd's host-physical map holds a VM's guest RAM only while it is pinned (mapped)
 * and frees its range at the last unmap, so nothing waits for the garbage collector. The figures are
 * printed. `VFIO_SIM_SOAK_MIGRATIONS=n` runs n migrations instead.
 */
const MIGRATIONS = Number(process.env.VFIO_SIM_SOAK_MIGRATIONS ?? 100_000);
const SAMPLE_EVERY = 1_000;
const MiB = 2 ** 20;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

it('v2 migrations back and forth on one host pair: no ENOMEM, RSS flat', () => {
  const sim = new Simulation({ seed: 100 });
  const a = sim.createHost({ name: 'a', numVfs: 1 });
  const b = sim.createHost({ name: 'b', numVfs: 1 });
  const guest = sim.createGuest({ host: a, memory: 32 << 20 });
  guest.startWorkload({ jobs: 4, periodUs: 0 });
  sim.runUntilIdle();
  const toucher = new MemoryToucher({ base: 16 << 20, bytes: 4 << 20, seed: 100 });
  toucher.touch(guest.vm.memory);
  const booted = guest.vm.process.mm.heapStats().used;

  const samples: { readonly at: number; readonly rss: number; readonly heap: number }[] = [];
  const t0 = performance.now();
  for (let i = 1; i <= MIGRATIONS; i++) {
    startTouchStream({ vm: guest.vm, toucher, periodUs: 50, pagesPerTick: 4, limit: 1_000 });
    const report = migrate(guest, { to: guest.host === a ? b : a, protocol: 'v2' });
    if (report.result !== 'PASS')
      throw new Error(`migration ${i}: ${report.error?.errno ?? ''} ${report.failures.join('; ')}`);
    if (i % SAMPLE_EVERY === 0) {
      expect(toucher.verify(guest.vm.memory)).toEqual([]);
      expect(guest.vm.process.mm.heapStats().used).toBe(booted);
      gc();
      const { rss, heapUsed } = process.memoryUsage();
      samples.push({ at: i, rss, heap: heapUsed });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const reference = samples.find((s) => s.at === SAMPLE_EVERY)!;
  const after = samples.filter((s) => s.at > SAMPLE_EVERY);
  const rssAfter = after.map((s) => s.rss);
  const min = Math.min(reference.rss, ...rssAfter);
  const max = Math.max(reference.rss, ...rssAfter);
  const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
  const every = Math.max(1, Math.floor(samples.length / 10));
  process.stdout.write(
    `${[
      `migration ping-pong soak: ${MIGRATIONS} v2 migrations, every one PASS, in ${seconds.toFixed(0)} s (${(MIGRATIONS / seconds).toFixed(0)}/s)`,
      `  RSS at ${reference.at}: ${mib(reference.rss)}; after it min ${mib(min)}, max ${mib(max)} (${((min / reference.rss - 1) * 100).toFixed(1)} % .. +${((max / reference.rss - 1) * 100).toFixed(1)} %)`,
      `  samples (migrations: RSS / JS heap): ${samples
        .filter((_, k) => k % every === 0 || k === samples.length - 1)
        .map((s) => `${s.at}: ${mib(s.rss)} / ${mib(s.heap)}`)
        .join(', ')}`,
      `  QEMU heap of the guest's VM after every ${SAMPLE_EVERY}th migration: ${booted} B in use, as booted`,
    ].join('\n')}\n`,
  );
  expect(samples.length).toBe(Math.floor(MIGRATIONS / SAMPLE_EVERY));
  for (const s of after) expect(Math.abs(s.rss / reference.rss - 1)).toBeLessThanOrEqual(0.1);
});
