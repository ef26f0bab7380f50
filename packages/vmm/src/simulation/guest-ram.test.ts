import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { Simulation } from './simulation.js';

function world(memory: number) {
  const sim = new Simulation({ seed: 5 });
  const source = sim.createHost({ name: 'source', numVfs: 1 });
  const destination = sim.createHost({ name: 'destination', numVfs: 1 });
  const guest = sim.createGuest({ host: source, memory });
  return { sim, source, destination, guest };
}

describe("the guest's applications write their RAM", () => {
  it('above the drivers: pages written with seeded bytes, moved by the migration page for page', () => {
    const { sim, destination, guest } = world(10 << 20);
    expect(guest.appRamBase).toBe(9 << 20);
    expect(guest.appRamPages).toBe(256);
    guest.startWorkload({ jobs: 2, periodUs: 0 });
    const before = guest.vm.memory.touchedPages().length;
    guest.writeRam(40, 17);
    const first = guest.vm.memory.readBytes(guest.appRamBase, 16);
    expect(guest.vm.memory.touchedPages().length).toBe(before + 40);
    expect([...first].some((b) => b !== 0)).toBe(true);
    sim.run(20);
    const report = migrate(guest, { to: destination, protocol: 'v2', jobsAfter: 1 });
    expect(report.verdict).toBe('pass');
    expect(report.proof.ram?.identical).toBe(true);
    expect(report.proof.ram?.pagesCompared).toBeGreaterThanOrEqual(before + 40);
    // the destination's RAM holds the same bytes
    expect(guest.vm.memory.readBytes(guest.appRamBase, 16)).toEqual(first);
  });

  it('same seed, same bytes; another seed, other bytes', () => {
    const a = world(10 << 20).guest;
    const b = world(10 << 20).guest;
    const c = world(10 << 20).guest;
    a.writeRam(2, 1);
    b.writeRam(2, 1);
    c.writeRam(2, 2);
    const bytes = (g: typeof a) => g.vm.memory.readBytes(g.appRamBase, 8192);
    expect(bytes(a)).toEqual(bytes(b));
    expect(bytes(a)).not.toEqual(bytes(c));
  });

  it('more pages than RAM above the drivers, or a bad count: EINVAL, nothing written', () => {
    const { guest } = world(10 << 20);
    const touched = guest.vm.memory.touchedPages().length;
    expect(errnoOf(() => guest.writeRam(257, 1))).toBe('EINVAL');
    expect(errnoOf(() => guest.writeRam(-1, 1))).toBe('EINVAL');
    expect(errnoOf(() => guest.writeRam(1.5, 1))).toBe('EINVAL');
    expect(guest.vm.memory.touchedPages().length).toBe(touched);
    // a guest whose RAM is all the driver's has none to write
    expect(world(9 << 20).guest.appRamPages).toBe(0);
  });
});
