import { errnoOf, MemoryTraceSink } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { Simulation } from './simulation.js';

describe('Simulation', () => {
  it('hosts share its clock; names are unique (EEXIST, nothing created)', () => {
    const sim = new Simulation({ seed: 3 });
    const a = sim.createHost({ name: 'a' });
    expect(a.clock).toBe(sim.clock);
    expect(a.kind).toBe('zip');
    expect(a.vfs).toHaveLength(2);
    expect(errnoOf(() => sim.createHost({ name: 'a', kind: 'sec' }))).toBe('EEXIST');
    expect(sim.createHost({ name: 'b', kind: 'sec', numVfs: 1 }).vfs).toHaveLength(1);
  });

  it('refuses a seed outside [0, 2^32) (EINVAL)', () => {
    for (const seed of [-1, 1.5, 2 ** 32]) expect(errnoOf(() => new Simulation({ seed }))).toBe('EINVAL');
  });

  it('a guest boots with its devices and driver; run advances virtual time and jobs complete', () => {
    const sim = new Simulation();
    const host = sim.createHost({ name: 'h' });
    const guest = sim.createGuest({ host, devices: ['hisi-acc-vf', 'hisi-acc-vf'] });
    expect(guest.devices.map((d) => d.host.name)).toEqual(['0000:75:00.1', '0000:75:00.2']);
    // one guest driver per accelerator VF, each its own
    const drivers = [0, 1].map((i) => guest.accelDriver(i));
    expect(drivers.every((d) => d !== undefined)).toBe(true);
    expect(drivers[0]).not.toBe(drivers[1]);
    expect(guest.accelDriver(2)).toBeUndefined();
    guest.startWorkload({ jobs: 4, periodUs: 0 });
    expect(guest.outstanding).toBe(8);
    const t0 = sim.clock.now(); // the probes polled their mailboxes
    sim.run(1000);
    expect(sim.clock.now()).toBe(t0 + 1000);
    sim.runUntil(() => guest.completed === 8);
    const t = guest.tally();
    expect(t.verified).toBe(8);
    expect(new Set([...t.lost, ...t.duplicated])).toEqual(new Set());
    expect(errnoOf(() => guest.startWorkload())).toBe('EINVAL'); // already running
  });

  it('a guest asking for more devices than are free: ENODEV, and nothing stays claimed', () => {
    const sim = new Simulation();
    const host = sim.createHost({ name: 'h', numVfs: 1 });
    expect(errnoOf(() => sim.createGuest({ host, devices: ['hisi-acc-vf', 'hisi-acc-vf'] }))).toBe('ENODEV');
    expect(errnoOf(() => sim.createGuest({ host, devices: ['mtty'] }))).toBe('ENODEV');
    expect(host.assignable[0]!.owner).toBeUndefined();
    expect(errnoOf(() => sim.createGuest({ host, memory: 1000 }))).toBe('EINVAL');
    expect(sim.createGuest({ host }).devices).toHaveLength(1);
  });

  it('runUntil a condition that never holds ends with EDEADLK once the clock is idle', () => {
    const sim = new Simulation();
    expect(errnoOf(() => sim.runUntil(() => false))).toBe('EDEADLK');
    expect(errnoOf(() => sim.run(-1))).toBe('EINVAL');
  });

  it('traces every host and the guest on its sink', () => {
    const sink = new MemoryTraceSink();
    const sim = new Simulation({ traceSink: sink });
    const host = sim.createHost({ name: 'h' });
    const guest = sim.createGuest({ host });
    guest.startWorkload({ jobs: 1, periodUs: 0 });
    sim.runUntilIdle();
    const tracks = sink.namedTracks().map((t) => `${t.process}/${t.thread}`);
    expect(tracks).toEqual(expect.arrayContaining(['h/qm-hw', 'guest/vf0 driver']));
  });
});
