import type { QmFault } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import {
  UPSTREAM_HOST_RESET,
  UPSTREAM_NOT_STARTED,
  UPSTREAM_VCPUS_AFTER_DEVICES,
  UPSTREAM_VMM_RESET,
} from '../workload/job-loss.js';
import { migrateCampaignWorld } from './byte-flip-campaign.js';
import { migrate } from './migrate.js';
import { Simulation } from './simulation.js';

/** Two one-VF hosts, a small guest on the first with jobs in flight and a short job stream. */
function world(seed = 7) {
  const sim = new Simulation({ seed });
  const source = sim.createHost({ name: 'source', numVfs: 1 });
  const destination = sim.createHost({ name: 'destination', numVfs: 1 });
  const guest = sim.createGuest({ host: source, memory: 16 << 20 });
  guest.startWorkload({ jobs: 6, periodUs: 20, limit: 8 });
  sim.run(60);
  return { sim, source, destination, guest };
}

/** A DMA fault over the guest driver's queue memory (contexts, EQ/AEQ, SQ and CQ rings). */
function queueMemoryFault(guest: ReturnType<typeof world>['guest']): QmFault {
  const L = guest.accelDriver(0)!.layout;
  return { kind: 'dma-fault', iova: L.qdma.dma, length: L.slots - L.qdma.dma };
}

describe('migrate: nothing lost silently', () => {
  it('v2, a mailbox error at the stop: QEMU resets the VF; the jobs on it and after it are lost with that cause', () => {
    const { source, guest } = world();
    const r = migrate(guest, {
      to: world().destination,
      protocol: 'v2',
      faults: [{ fault: { kind: 'mb-error' }, at: 'stop' }],
      jobsAfter: 2,
    });
    expect(r).toMatchObject({ outcome: 'aborted', verdict: 'attributed-loss', result: 'FAIL', silent: [] });
    expect(r.error).toMatchObject({ errno: 'EIO', phase: 'stop' });
    expect(guest.host).toBe(source);
    const t = r.proof.jobs;
    expect(t.unattributed).toEqual([]);
    expect(t.losses.length).toBeGreaterThanOrEqual(2); // at least the 2 jobs submitted after the reset
    expect(t.losses.map((l) => l.jobId)).toEqual(t.lost);
    for (const l of t.losses)
      expect(l.cause).toMatchObject({
        kind: 'device-reset-by-vmm',
        errno: null,
        upstream: UPSTREAM_VMM_RESET,
        detail: expect.stringMatching(/^in stop, after EIO .*VFIO_DEVICE_RESET/),
      });
    expect(t.verified + t.losses.length).toBe(t.submitted);
    expect(r.failures).toContainEqual(
      expect.stringMatching(/^jobs lost to device-reset-by-vmm \(as upstream: qemu hw\/vfio\/migration\.c/),
    );
  });

  it('v1, the same fault: no reset path in v1 — a clean abort, the guest served at the source', () => {
    const { destination, guest } = world();
    const r = migrate(guest, {
      to: destination,
      protocol: 'v1',
      faults: [{ fault: { kind: 'mb-error' }, at: 'stop' }],
      jobsAfter: 2,
    });
    expect(r).toMatchObject({ outcome: 'aborted', verdict: 'aborted', silent: [] });
    expect(r.proof.jobs.verified).toBe(r.proof.jobs.submitted);
    expect(r.proof.jobs.submitted).toBeGreaterThan(8);
  });

  it.each(['v1', 'v2'] as const)(
    '%s, the VF-ready register misread at the save: loaded as "not started", the jobs lost with that cause',
    (protocol) => {
      const { destination, guest } = world();
      const r = migrate(guest, {
        to: destination,
        protocol,
        faults: [{ fault: { kind: 'vf-not-ready' }, at: 'stop' }],
        jobsAfter: 2,
      });
      expect(r).toMatchObject({ outcome: 'migrated', verdict: 'attributed-loss', silent: [] });
      const t = r.proof.jobs;
      expect(t.unattributed).toEqual([]);
      expect(t.losses.length).toBeGreaterThanOrEqual(2);
      for (const l of t.losses)
        expect(l.cause).toMatchObject({ kind: 'loaded-not-started', upstream: UPSTREAM_NOT_STARTED });
      expect(t.losses[0]!.cause.detail).toMatch(/loaded as "guest driver not started"/);
    },
  );

  it('v2 with checkDeviceBytes: the same misread is refused (EIO), the source resumes and serves every job', () => {
    const { source, destination, guest } = world();
    const r = migrate(guest, {
      to: destination,
      protocol: 'v2',
      checkDeviceBytes: true,
      faults: [{ fault: { kind: 'vf-not-ready' }, at: 'stop' }],
      jobsAfter: 2,
    });
    expect(r).toMatchObject({ outcome: 'aborted', verdict: 'aborted' });
    expect(r.error).toMatchObject({ errno: 'EIO', phase: 'resume' });
    expect(r.error!.message).toMatch(/40 device bytes received, the source announced 176 \(MIG_DATA_SIZE\)/);
    expect(guest.host).toBe(source);
    expect(r.proof.jobs.verified).toBe(r.proof.jobs.submitted);
  });

  it('checkDeviceBytes on a healthy migration: both protocols pass', () => {
    for (const protocol of ['v1', 'v2'] as const) {
      const { destination, guest } = world(3);
      const r = migrate(guest, { to: destination, protocol, checkDeviceBytes: true, jobsAfter: 2 });
      expect(r.failures).toEqual([]);
      expect(r.verdict).toBe('pass');
    }
  });

  it('a section flipped or cut in flight is refused (EIO); without the CRC a cut section loads wrong', () => {
    for (const fault of [
      { kind: 'flip', section: 0, phase: 'stop-and-copy', byte: 30 },
      { kind: 'cut', section: 0, phase: 'stop-and-copy', keep: 0 },
    ] as const) {
      const { destination, guest } = world();
      const r = migrate(guest, { to: destination, protocol: 'v2', link: { faults: [fault] }, jobsAfter: 2 });
      expect(r).toMatchObject({ outcome: 'aborted', verdict: 'aborted' });
      expect(r.error).toMatchObject({ errno: 'EIO', phase: 'stop-and-copy' });
      expect(r.link.refused).not.toBeNull();
      expect(r.link.faults[0]).toMatchObject({ refused: true, phase: 'stop-and-copy' });
    }
    const { destination, guest } = world();
    const r = migrate(guest, {
      to: destination,
      protocol: 'v2',
      link: { sectionCrc: false, faults: [{ kind: 'cut', section: 0, phase: 'stop-and-copy', keep: 0 }] },
      jobsAfter: 2,
    });
    expect(r).toMatchObject({ outcome: 'migrated', verdict: 'silent' });
    expect(r.link.corruptDelivered).toBe(1);
    expect(r.silent).toContainEqual('device state: 176 bytes saved, 40 loaded');
  });

  it('v1, a DMA fault at the queue memory during the stop: the PF resets the controller while the guest cannot answer', () => {
    const { destination, guest } = world(3);
    const r = migrate(guest, {
      to: destination,
      protocol: 'v1',
      faults: [{ fault: queueMemoryFault(guest), at: 'stop' }],
      jobsAfter: 2,
    });
    expect(r).toMatchObject({ outcome: 'aborted', verdict: 'attributed-loss', silent: [] });
    expect(r.proof.jobs.losses.length).toBeGreaterThan(0);
    for (const l of r.proof.jobs.losses)
      expect(l.cause).toMatchObject({ kind: 'device-reset-by-host', upstream: UPSTREAM_HOST_RESET });
  });

  it('a DMA fault at the destination queue memory as the guest resumes there: the guest driver reports EIO for each job', () => {
    const { destination, guest } = world(3);
    const r = migrate(guest, {
      to: destination,
      protocol: 'v1',
      precopy: false, // RAM copied while stopped: jobs are still in flight when the destination starts
      faults: [{ fault: queueMemoryFault(guest), side: 'destination', at: 'resume' }],
      jobsAfter: 2,
    });
    expect(r.outcome).toBe('migrated');
    expect(r.verdict).toBe('attributed-loss');
    expect(r.deviceErrors.length).toBeGreaterThan(0);
    expect(r.proof.jobs.unattributed).toEqual([]);
    expect(
      r.proof.jobs.losses.every((l) => l.cause.kind === 'hardware-error' && l.cause.errno === 'EIO'),
    ).toBe(true);
  });

  it('a corrupted state that makes the destination VF storm: the clock ends the run, the report says so (silent)', () => {
    // byte 78 of the stop-and-copy section, unchecked: inside the EQ context the destination restores
    const r = migrateCampaignWorld('v1', [{ kind: 'flip', section: 2, byte: 78 }], false, false);
    expect(r.outcome).toBe('migrated');
    expect(r.settleError).toMatchObject({
      errno: 'EDEADLK',
      message: expect.stringMatching(/event storm on track/),
    });
    expect(r.verdict).toBe('silent');
    expect(r.silent).toContainEqual(expect.stringMatching(/^the guest's run ended: EDEADLK: event storm/));
  });
});

/**
 * A guest with `vfs` accelerator VFs on a four-VF source, a short job stream, and a four-VF destination
 * (the campaign's shape); `faultOn`: the guest device whose driver RAM (rings, contexts) the destination
 * VF's DMA fault covers.
 */
function multiVfWorld(vfs: number, faultOn: number) {
  const sim = new Simulation({ seed: 9 });
  const source = sim.createHost({ name: 'source', numVfs: 4 });
  const destination = sim.createHost({ name: 'destination', numVfs: 4 });
  const guest = sim.createGuest({
    host: source,
    memory: (1 << 20) + vfs * (8 << 20),
    devices: Array<string>(vfs).fill('hisi-acc-vf'),
  });
  guest.startWorkload({ jobs: 4, periodUs: 15, limit: 8 });
  sim.run(100);
  const fault: QmFault = { kind: 'dma-fault', iova: (1 << 20) + faultOn * (8 << 20), length: 4 << 20 };
  const faults = [{ fault, side: 'destination', target: 'vf', device: faultOn, at: 'setup' }] as const;
  return { source, destination, guest, faults };
}

describe('migrate: a DMA fault on a destination VF as the devices start (the controller reset it causes)', () => {
  it('v1, two VFs, the fault on VF 0: the reset wipes both VFs before the vCPUs start; every lost job is attributed', () => {
    const { destination, guest, faults } = multiVfWorld(2, 0);
    const r = migrate(guest, { to: destination, protocol: 'v1', faults, jobsAfter: 2 });
    expect(r).toMatchObject({ outcome: 'migrated', verdict: 'attributed-loss', silent: [] });
    expect(guest.host).toBe(destination);
    expect(destination.pfDriver!.resets).toHaveLength(1);
    // no guest driver was told: the reset came and went while the destination vCPUs were stopped
    expect(r.deviceErrors).toEqual([]);
    const t = r.proof.jobs;
    expect(t.unattributed).toEqual([]);
    // the jobs after the switch-over, on VF 0 (ids n) and on VF 1 (ids 1,000,000 + n): all hang
    expect(t.lost).toEqual([13, 14, 1_000_013, 1_000_014]);
    expect(t.losses.map((l) => l.jobId)).toEqual(t.lost);
    for (const l of t.losses)
      expect(l.cause).toMatchObject({
        kind: 'device-reset-by-host',
        errno: null,
        upstream: `${UPSTREAM_HOST_RESET}; ${UPSTREAM_VCPUS_AFTER_DEVICES}`,
        detail: expect.stringMatching(/began to start the VF, before the vCPUs started there\) wiped/),
      });
    expect(t.verified + t.losses.length).toBe(t.submitted);
    expect(t.verified).toBe(t.submittedOnSource);
  });

  it('v1, two VFs, the fault on VF 1 (started last): both drivers take the reset and every job completes', () => {
    const { destination, guest, faults } = multiVfWorld(2, 1);
    const r = migrate(guest, { to: destination, protocol: 'v1', faults, jobsAfter: 2 });
    expect(r).toMatchObject({ outcome: 'migrated', verdict: 'pass', result: 'PASS' });
    expect(destination.pfDriver!.resets).toHaveLength(1);
    expect(r.deviceErrors.map((e) => [e.device, e.side, e.error.kind])).toEqual([
      [0, 'destination', 'device-reset'],
      [1, 'destination', 'device-reset'],
    ]);
    expect(r.proof.jobs.verified).toBe(r.proof.jobs.submitted);
  });

  it.each(['v1', 'v2'] as const)(
    '%s, one VF: its start is the last, so its driver takes the reset and every job completes',
    (protocol) => {
      const { destination, guest, faults } = multiVfWorld(1, 0);
      const r = migrate(guest, { to: destination, protocol, faults, jobsAfter: 2 });
      expect(r).toMatchObject({ outcome: 'migrated', verdict: 'pass', result: 'PASS' });
      expect(destination.pfDriver!.resets).toHaveLength(1);
      expect(r.deviceErrors.map((e) => e.error.kind)).toEqual(['device-reset']);
      expect(r.proof.jobs.verified).toBe(r.proof.jobs.submitted);
    },
  );

  it.each([0, 1])(
    "v2, two VFs, the fault on VF %i: QEMU's multiple-devices blocker refuses first (EOPNOTSUPP), nothing reset",
    (faultOn) => {
      const { source, destination, guest, faults } = multiVfWorld(2, faultOn);
      const r = migrate(guest, { to: destination, protocol: 'v2', faults, jobsAfter: 2 });
      expect(r).toMatchObject({ outcome: 'aborted', verdict: 'aborted', silent: [] });
      expect(r.error).toMatchObject({ errno: 'EOPNOTSUPP', phase: 'setup' });
      expect(guest.host).toBe(source);
      expect(destination.pfDriver!.resets).toEqual([]);
      expect(r.proof.jobs.verified).toBe(r.proof.jobs.submitted);
    },
  );
});
