import { bench, describe } from 'vitest';
import type { Host } from '../host/host.js';
import { type MigrationProtocol, migrate } from './migrate.js';
import { Simulation } from './simulation.js';

// A full live migration of a small guest, as the facade runs it (incoming VM, RAM pre-copy with CPU +
// IOMMU dirty tracking, the VF's state over v1 or v2, the switch-over, the source QEMU's exit, the
// settle and the proof): a 16 MiB guest with a ZIP VF whose driver has run 4 jobs, migrated back and
// forth between two one-VF hosts, one migration per iteration. Baseline: what any migration pays around
// the transfer — a guest VM booted with its VF (realize, guest driver probe) and quit again.
function world(seed: number) {
  const sim = new Simulation({ seed });
  const a = sim.createHost({ name: 'a', numVfs: 1 });
  const b = sim.createHost({ name: 'b', numVfs: 1 });
  const guest = sim.createGuest({ host: a, memory: 16 << 20 });
  guest.startWorkload({ jobs: 4, periodUs: 0 });
  sim.runUntilIdle();
  return { sim, a, b, guest };
}

function pingPong(protocol: MigrationProtocol): () => void {
  const { a, b, guest } = world(3);
  return () => {
    const report = migrate(guest, { to: guest.host === a ? b : a, protocol });
    if (report.result !== 'PASS') throw new Error(`bench: ${report.failures.join('; ')}`);
  };
}

const v1 = pingPong('v1');
const v2 = pingPong('v2');
const boot = (() => {
  const { sim, b } = world(4);
  return (host: Host = b) => sim.createGuest({ host, memory: 16 << 20 }).vm.quit();
})();
// Fail here, loudly, rather than as a figure of migrations that did not happen.
v1();
v2();
boot();

describe('full live migration of a small guest (16 MiB, one ZIP VF), back and forth', () => {
  bench('baseline: boot a guest VM with its VF and quit it', () => {
    boot();
  });
  bench('v1 live migration (migrate(), protocol v1)', v1);
  bench('v2 live migration (migrate(), protocol v2)', v2);
});
