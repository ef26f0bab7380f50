import { errnoOf } from '@vfio-sim/platform';
import {
  PCI_COMMAND,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  VFIO_PCI_CONFIG_REGION_INDEX,
} from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { MIGRATION_PHASES } from './fault-plan.js';
import { migrate } from './migrate.js';
import { Simulation } from './simulation.js';

/** Two hosts, a guest on the first with 16 jobs in flight and a job stream, 300 µs run. */
function world(seed = 7, kind: 'zip' | 'sec' | 'hpre' = 'zip') {
  const sim = new Simulation({ seed });
  const source = sim.createHost({ name: 'source', kind, numVfs: 2 });
  const destination = sim.createHost({ name: 'destination', kind, numVfs: 2 });
  const guest = sim.createGuest({ host: source });
  guest.startWorkload({ jobs: 16, periodUs: 20, limit: 64 });
  sim.run(300);
  return { sim, source, destination, guest };
}

describe('migrate', () => {
  it.each([
    ['v1', 'zip'],
    ['v2', 'zip'],
    ['v1', 'sec'],
    ['v2', 'hpre'],
  ] as const)('%s %s: the guest moves with jobs in flight; the proof holds', (protocol, kind) => {
    const { source, destination, guest } = world(7, kind);
    const before = guest.vm;
    const report = migrate(guest, { to: destination, protocol, jobsAfter: 3 });
    expect(report.failures).toEqual([]);
    expect(report).toMatchObject({
      result: 'PASS',
      outcome: 'migrated',
      protocol,
      from: 'source',
      to: 'destination',
    });
    expect(report.error).toBeNull();
    const t = report.proof.jobs;
    expect(t.verified).toBe(t.submitted);
    expect(t.submittedOnDestination).toBe(3);
    expect(report.proof.ram!.identical).toBe(true);
    expect(report.proof.ram!.pagesCompared).toBeGreaterThan(0);
    expect(report.migration!.protocol).toBe(protocol);
    expect(report.inFlightAtStop).not.toBeNull();
    expect(report.submittedDuringMigration).toBeGreaterThan(0);
    // the guest runs on the destination; the source QEMU quit and its VF is free again
    expect(guest.host).toBe(destination);
    expect(guest.vm.isRunning).toBe(true);
    expect(before.hasQuit).toBe(true);
    expect(source.assignable.map((d) => d.owner)).toEqual([undefined, undefined]);
    expect(destination.assignable[0]!.owner).toBe('guest');
  });

  // v2 refuses two VFs without P2P (QEMU's multiple-devices blocker: see p2p.test.ts)
  it.each(['v1'] as const)(
    '%s: a guest with two VFs moves both; each device reports its own states',
    (protocol) => {
      const sim = new Simulation({ seed: 9 });
      const source = sim.createHost({ name: 'source', numVfs: 2 });
      // same VF count on both: the per-VF queue count is part of the match data (480 queues each)
      const destination = sim.createHost({ name: 'destination', numVfs: 2 });
      const guest = sim.createGuest({ host: source, devices: ['hisi-acc-vf', 'hisi-acc-vf'] });
      guest.startWorkload({ jobs: 8, periodUs: 15, limit: 20 });
      sim.run(200);
      const report = migrate(guest, { to: destination, protocol, jobsAfter: 2 });
      expect(report.failures).toEqual([]);
      const m = report.migration!;
      expect(m.devices.map((d) => [d.source, d.destination])).toEqual([
        ['0000:75:00.1', '0000:75:00.1'],
        ['0000:75:00.2', '0000:75:00.2'],
      ]);
      expect(m.deviceBytesSaved).toBe(m.devices[0]!.deviceBytesSaved + m.devices[1]!.deviceBytesSaved);
      expect(report.proof.jobs.submitted).toBeGreaterThan(2 * 10);
      expect(report.proof.jobs.verified).toBe(report.proof.jobs.submitted);
      expect(destination.assignable.map((d) => d.owner)).toEqual(['guest', 'guest']);
    },
  );

  it('a destination whose VFs have another queue count is refused on the match data (EINVAL in pre-copy)', () => {
    const sim = new Simulation({ seed: 9 });
    const source = sim.createHost({ name: 'source', numVfs: 2 });
    const destination = sim.createHost({ name: 'destination', numVfs: 3 });
    const guest = sim.createGuest({ host: source });
    guest.startWorkload({ jobs: 4, periodUs: 0 });
    const report = migrate(guest, { to: destination, protocol: 'v1' });
    expect(report.error).toMatchObject({ errno: 'EINVAL', phase: 'pre-copy' });
    expect(report.error!.message).toMatch(/failed to match VF qp num \(stream 480, VFT 320\)/);
    expect(report.proof.jobs.verified).toBe(4);
  });

  it('is deterministic: the same seed gives the same report, byte for byte', () => {
    const run = () => {
      const { destination, guest } = world(11);
      return JSON.stringify(migrate(guest, { to: destination, jobsAfter: 2 }));
    };
    expect(run()).toBe(run());
  });

  it('migrates back and forth: the source VF is reused after the first migration', () => {
    const { source, destination, guest } = world(3);
    expect(migrate(guest, { to: destination }).result).toBe('PASS');
    const back = migrate(guest, { to: source, protocol: 'v1', jobsAfter: 2 });
    expect(back.failures).toEqual([]);
    expect(guest.host).toBe(source);
    expect(back.proof.jobs.verified).toBe(back.proof.jobs.submitted);
  });

  it('a fault at the stop aborts with its errno in that phase; the guest runs on at the source', () => {
    const { source, destination, guest } = world(7);
    const report = migrate(guest, {
      to: destination,
      protocol: 'v1',
      faults: [{ fault: { kind: 'mb-error' }, side: 'source', target: 'vf', at: 'stop' }],
      jobsAfter: 2,
    });
    expect(report).toMatchObject({ outcome: 'aborted', result: 'FAIL', migration: null });
    expect(report.error).toMatchObject({ errno: 'EIO', phase: 'stop' });
    expect(report.failures[0]).toMatch(/^migration aborted in stop: EIO/);
    expect(report.faults).toEqual([
      expect.objectContaining({ side: 'source', target: 'vf', phase: 'stop', function: '0000:75:00.1' }),
    ]);
    expect(report.faults[0]!.clearedUs).not.toBeNull();
    expect(report.proof.ram).toBeNull();
    expect(guest.host).toBe(source);
    expect(guest.vm.isRunning).toBe(true);
    expect(destination.assignable.map((d) => d.owner)).toEqual([undefined, undefined]); // its QEMU exited
    expect(source.qmFunction(0).faults.active()).toEqual([]);
    expect(report.proof.jobs.verified).toBe(report.proof.jobs.submitted); // v1 restarts the VF: nothing lost
  });

  it('v2, a fault at the stop: QEMU resets the VF; every job lost with it carries that cause, later jobs are refused', () => {
    const { source, destination, guest } = world(7);
    const report = migrate(guest, {
      to: destination,
      faults: [{ fault: { kind: 'mb-error' }, side: 'source', at: 'stop' }],
      jobsAfter: 40,
    });
    expect(report.error).toMatchObject({ errno: 'EIO', phase: 'stop' });
    expect(guest.host).toBe(source);
    const t = report.proof.jobs;
    expect(t.lost.length).toBeGreaterThan(0);
    expect(t.unattributed).toEqual([]);
    expect(new Set(t.losses.map((l) => l.cause.kind))).toEqual(new Set(['device-reset-by-vmm']));
    expect(report.refusedAfter).toBe('EBUSY');
    expect(report.verdict).toBe('attributed-loss');
    expect(report.failures).toContain('jobs after the migration refused by the guest driver: EBUSY');
  });

  it('a timed fault fires at its virtual time after the start; a phase the protocol lacks never fires', () => {
    const { destination, guest, sim } = world(5);
    const t0 = sim.clock.now();
    const report = migrate(guest, {
      to: destination,
      protocol: 'v1',
      faults: [
        { fault: { kind: 'ifc-pending' }, side: 'destination', at: { us: 5 }, clearAt: 'pre-copy' },
        { fault: { kind: 'mb-error' }, at: 'cleanup' }, // v1 has no cleanup phase
      ],
    });
    expect(report.faults).toHaveLength(1);
    expect(report.faults[0]).toMatchObject({
      side: 'destination',
      injectedUs: t0 + 5,
      function: '0000:75:00.1',
    });
    expect(report.faults[0]!.clearedUs).toBeGreaterThan(t0 + 5);
  });

  it('refuses bad options before touching anything (EINVAL)', () => {
    const { destination, guest, sim } = world(2);
    const t = sim.clock.now();
    const bad = [
      { to: destination, protocol: 'v3' as 'v1' },
      { to: destination, jobsAfter: -1 },
      { to: destination, faults: [{ fault: { kind: 'mb-error' as const }, at: 'teardown' as 'stop' }] },
      { to: destination, faults: [{ fault: { kind: 'mb-error' as const }, at: { us: 1.5 } }] },
      { to: destination, faults: [{ fault: { kind: 'mb-error' as const }, at: 'stop' as const, device: 3 }] },
      { to: destination, link: { bytesPerUs: 0 } },
    ];
    for (const options of bad) expect(errnoOf(() => migrate(guest, options))).toBe('EINVAL');
    expect(sim.clock.now()).toBe(t);
    expect(guest.vm.isRunning).toBe(true);
    expect(destination.assignable.map((d) => d.owner)).toEqual([undefined, undefined]);
  });

  it('a destination without a free device aborts in setup (ENODEV) and claims nothing', () => {
    const { sim, destination, guest } = world(4);
    sim.createGuest({ name: 'a', host: destination });
    sim.createGuest({ name: 'b', host: destination });
    const report = migrate(guest, { to: destination });
    expect(report.error).toMatchObject({ errno: 'ENODEV', phase: 'setup' });
    expect(destination.assignable.map((d) => d.owner)).toEqual(['a', 'b']);
    expect(report.proof.jobs.verified).toBe(report.proof.jobs.submitted);
  });

  it('names every phase a fault can be armed at, in order', () => {
    expect(MIGRATION_PHASES).toEqual([
      'setup',
      'pre-copy',
      'stop',
      'stop-and-copy',
      'guest memory',
      'resume',
      'cleanup',
    ]);
  });

  it.each(['v1', 'v2'] as const)(
    '%s: the CONFIG section carries the guest’s view of the device; the destination VF decodes and masters',
    (protocol) => {
      const { destination, guest } = world(3);
      const config = guest.vm.devices[0]!.config;
      const before = { bytes: [...config.bytes], interrupts: config.interrupts };
      expect(before.interrupts.vectors).toHaveLength(3);
      expect(migrate(guest, { to: destination, protocol }).result).toBe('PASS');
      const moved = guest.vm.devices[0]!;
      expect(moved.host.hostName).toBe('destination');
      expect({ bytes: [...moved.config.bytes], interrupts: moved.config.interrupts }).toEqual(before);
      const command = moved.handle.pread(
        moved.handle.regionOffset(VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND),
        2,
      );
      expect((command[0] as number) & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)).toBe(
        PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
      );
    },
  );
});
