import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { mttyDevices } from '../host/mtty-devices.js';
import { migrate } from './migrate.js';
import { Simulation } from './simulation.js';

/** Two hosts with the accelerator and `mttys` mtty-2 devices each; a guest with `devices`. */
function world(devices: string[], mttys = 2, seed = 5) {
  const sim = new Simulation({ seed });
  const host = (name: string) =>
    sim.createHost({ name, numVfs: 2, devices: [mttyDevices({ count: mttys })] });
  const source = host('source');
  const destination = host('destination');
  const guest = sim.createGuest({ host: source, devices });
  guest.startWorkload({ jobs: 6, periodUs: 7, limit: 40 });
  sim.run(60);
  return { sim, source, destination, guest };
}

describe('several devices: the P2P prepare pass and the multiple-devices blocker (QEMU 8.1+)', () => {
  it('one mtty migrates over v2: every serial byte comes back exactly once on the destination', () => {
    const { destination, guest } = world(['mtty'], 1);
    const report = migrate(guest, { to: destination });
    expect(report.failures).toEqual([]);
    const [dev] = report.migration!.devices;
    expect(dev!.model).toBe('mtty');
    // a single device: P2P or not, the main handlers only — but mtty has P2P, so the prepare pass runs
    expect(dev!.sourceStates.map((s) => s.name)).toEqual(
      expect.arrayContaining(['PRE_COPY', 'PRE_COPY_P2P', 'STOP_COPY', 'STOP']),
    );
    expect(dev!.destinationStates.map((s) => `${s.step}:${s.name}`)).toEqual([
      'realize:RUNNING',
      'load_setup:RESUMING',
      'load_cleanup:RESUMING',
      'vm_start prepare:RUNNING_P2P',
      'vm_start:RUNNING',
    ]);
    const uart = report.proof.uart;
    expect(uart.map((p) => p.port)).toEqual([0, 1]);
    expect(uart.every((p) => p.sent > 0 && p.received === p.sent && p.firstMismatch === -1)).toBe(true);
  });

  it('two mttys: every device is quiesced (PRE_COPY_P2P) before any stops, and RUNNING_P2P before any runs', () => {
    const { destination, guest } = world(['mtty', 'mtty']);
    const report = migrate(guest, { to: destination });
    expect(report.failures).toEqual([]);
    const [a, b] = report.migration!.devices;
    const steps = (d: typeof a) => d!.sourceStates.map((s) => `${s.step}:${s.name}`);
    // stop: prepare handlers in reverse order, then main handlers in reverse order
    expect(steps(a)).toContain('vm_stop prepare:PRE_COPY_P2P');
    expect(steps(b)).toContain('vm_stop prepare:PRE_COPY_P2P');
    expect(a!.destinationStates.map((s) => s.name).slice(-2)).toEqual(['RUNNING_P2P', 'RUNNING']);
    expect(report.proof.uart).toHaveLength(4);
    expect(report.proof.uart.every((p) => p.inFlight === 0 && p.firstMismatch === -1)).toBe(true);
  });

  it('a hisi VF and an mtty: v2 is blocked (the VF has no P2P) before anything is touched', () => {
    const { destination, guest, sim } = world(['hisi-acc-vf', 'mtty']);
    const t = sim.clock.now();
    const report = migrate(guest, { to: destination });
    expect(report.error).toMatchObject({ errno: 'EOPNOTSUPP', phase: 'setup' });
    expect(report.error!.message).toMatch(
      /Multiple VFIO devices migration is supported only if all of them support P2P migration \(0000:75:00.1 without P2P\)/,
    );
    expect(report.faults).toEqual([]);
    expect(destination.assignable.every((d) => d.owner === undefined)).toBe(true);
    expect(guest.host.name).toBe('source');
    expect(report.proof.jobs.verified).toBe(report.proof.jobs.submitted);
    expect(report.proof.uart.every((p) => p.inFlight === 0 && p.firstMismatch === -1)).toBe(true);
    expect(sim.clock.now()).toBeGreaterThanOrEqual(t);
  });

  it('two hisi VFs: blocked on v2 (neither has P2P); v1 (QEMU ≤ 7, no blocker) moves both', () => {
    const { destination, guest } = world(['hisi-acc-vf', 'hisi-acc-vf'], 0 + 1);
    expect(migrate(guest, { to: destination }).error?.errno).toBe('EOPNOTSUPP');
    const v1 = migrate(guest, { to: destination, protocol: 'v1' });
    expect(v1.failures).toEqual([]);
    expect(v1.migration!.devices).toHaveLength(2);
  });

  it('an mtty has no v1 region: v1 migration is blocked (EINVAL) and the guest runs on', () => {
    const { destination, guest } = world(['mtty'], 1);
    const report = migrate(guest, { to: destination, protocol: 'v1' });
    expect(report.error).toMatchObject({ errno: 'EINVAL', phase: 'setup' });
    expect(report.proof.uart.every((p) => p.inFlight === 0)).toBe(true);
  });

  it('a host runs out of mtty ports (ENOSPC, the sample pool of 24)', () => {
    const sim = new Simulation();
    expect(errnoOf(() => sim.createHost({ name: 'h', devices: [mttyDevices({ count: 13 })] }))).toBe(
      'ENOSPC',
    );
    expect(errnoOf(() => mttyDevices({ count: 0 }))).toBe('EINVAL');
  });
});
