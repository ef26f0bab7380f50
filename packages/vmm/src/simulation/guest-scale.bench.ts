import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bench, describe } from 'vitest';
import type { Host } from '../host/host.js';
import { MemoryToucher } from '../workload/memory-toucher.js';
import type { Guest } from './guest.js';
import { migrate } from './migrate.js';
import { Simulation } from './simulation.js';

// Migration time follows touched RAM, not guest size: a 1 TiB guest and a 1 GiB guest, each with a ZIP
// VF (its driver probed, idle) and the same 1,008 MiB touched by the seeded memory toucher at 16 MiB
// (with the driver's pages, 1,012 MiB populated), migrated over v2 back and forth between two one-VF
// hosts, one migration per iteration (RAM pre-copy under CPU + IOMMU dirty tracking, huge IOMMU leaves:
// 1 GiB leaves for both). Baseline: the 1 GiB guest. Each guest exists only while its benchmark runs.
// Before its runs each guest migrates once with its memory measured: what the destination host holds
// against what the guest touched (GuestMemory.hostBytes + QEMU's heap), what the source holds after its
// QEMU quit, and the process's RSS (both hosts live in this one process).
const TOUCHED = 1008 << 20;
const BASE = 16 << 20;
const MiB = 2 ** 20;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const rss = (): number => {
  gc();
  return process.memoryUsage().rss;
};

interface World {
  readonly a: Host;
  readonly b: Host;
  readonly guest: Guest;
  readonly touched: number;
  /** Process RSS before each timed migration (after a GC). */
  readonly rss: number[];
}

let world: World | undefined;

function boot(memory: number): World {
  const sim = new Simulation({ seed: 12 });
  const a = sim.createHost({ name: 'a', numVfs: 1 });
  const b = sim.createHost({ name: 'b', numVfs: 1 });
  const guest = sim.createGuest({ host: a, memory });
  const toucher = new MemoryToucher({ base: BASE, bytes: TOUCHED, seed: 5 });
  toucher.touch(guest.vm.memory);
  const before = rss();
  const from = guest.vm;
  const report = migrate(guest, { to: b, protocol: 'v2' });
  if (report.result !== 'PASS' || toucher.verify(guest.vm.memory).length > 0)
    throw new Error(
      `bench setup: the ${memory} B guest did not migrate intact: ${report.failures.join('; ')}`,
    );
  const touched = guest.vm.memory.touchedBytes();
  const held = guest.vm.memory.hostBytes() + guest.vm.process.mm.heapStats().residentBytes;
  const ram = report.migration!.ram;
  process.stdout.write(
    `guest of ${memory / MiB} MiB, ${(touched / MiB).toFixed(0)} MiB populated: the destination host holds ${(held / MiB).toFixed(0)} MiB ` +
      `= ${(held / touched).toFixed(3)}× touched (guest RAM hostBytes + QEMU heap), the source ${from.memory.hostBytes()} B after its QEMU quit; ` +
      `RSS before the migration ${mib(before)} (the source's guest populated); ` +
      `RAM rounds ${ram.rounds.map((r) => r.pagesSent).join('/')} pages sent; ${report.migration!.totalUs} µs virtual, downtime ${report.migration!.downtimeUs} µs\n`,
  );
  return { a, b, guest, touched, rss: [] };
}

const mib = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;

/** One migration of the guest of `memory` bytes (booted on first use, quit by the benchmark's teardown). */
function migrateOnce(memory: number): () => void {
  return () => {
    world ??= boot(memory);
    const { a, b, guest } = world;
    world.rss.push(rss());
    const report = migrate(guest, { to: guest.host === a ? b : a, protocol: 'v2' });
    if (report.result !== 'PASS') throw new Error(`bench: ${report.failures.join('; ')}`);
  };
}

const options = {
  time: 0,
  iterations: 4,
  warmupTime: 0,
  warmupIterations: 0,
  teardown: (_task: unknown, mode?: 'run' | 'warmup') => {
    if (mode === 'warmup' || world === undefined) return;
    const { guest, touched } = world;
    process.stdout.write(
      `guest of ${guest.vm.memory.size / MiB} MiB: RSS before each timed migration (both hosts in this process) ` +
        `${world.rss.map(mib).join(', ')} = ${world.rss.map((r) => (r / touched).toFixed(2)).join(', ')}× touched; ` +
        `peak RSS of the process so far ${mib(process.resourceUsage().maxRSS * 1024)}\n`,
    );
    guest.vm.quit();
    world = undefined;
  },
};

describe(`v2 live migration of a guest with ${TOUCHED / MiB} MiB touched: guest size does not count`, () => {
  bench('baseline: a 1 GiB guest', migrateOnce(2 ** 30), options);
  bench('a 1 TiB guest', migrateOnce(2 ** 40), options);
});
