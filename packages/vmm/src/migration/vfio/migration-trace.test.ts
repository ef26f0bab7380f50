import { MemoryTraceSink, type TraceEvent } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { mttyDevices } from '../../host/mtty-devices.js';
import { migrate } from '../../simulation/migrate.js';
import { Simulation } from '../../simulation/simulation.js';

/**
 * A guest with two devices migrated with a trace sink on the simulation: two hisi VFs over v1; over v2 a
 * hisi VF and two mttys would be refused (QEMU's multiple-devices blocker: the VF has no P2P), so two
 * mttys.
 */
function tracedMigration(protocol: 'v1' | 'v2') {
  const sink = new MemoryTraceSink();
  const sim = new Simulation({ seed: 9, traceSink: sink });
  const devices = [mttyDevices({ count: 2 })];
  const source = sim.createHost({ name: 'source', numVfs: 2, devices });
  const destination = sim.createHost({ name: 'destination', numVfs: 2, devices });
  const model = protocol === 'v1' ? 'hisi-acc-vf' : 'mtty';
  const guest = sim.createGuest({ host: source, devices: [model, model] });
  guest.startWorkload({ jobs: 8, periodUs: 15, limit: 20 });
  sim.run(200);
  const report = migrate(guest, { to: destination, protocol });
  const process = (e: TraceEvent) =>
    sink.namedTracks().find((t) => t.pid === e.pid && t.tid === e.tid)?.process;
  return { report, events: sink.events, process };
}

describe('the migration trace names the device of each state read and section', () => {
  it.each(['v1', 'v2'] as const)(
    '%s: migration.state instants per device are the report steps',
    (protocol) => {
      const { report, events, process } = tracedMigration(protocol);
      expect(report.result).toBe('PASS');
      const states = events.filter((e) => e.category === 'migration.state');
      for (const d of report.migration!.devices) {
        for (const [side, steps] of [
          ['source', d.sourceStates],
          ['destination', d.destinationStates],
        ] as const) {
          const device = side === 'source' ? d.source : d.destination;
          const traced = states
            .filter((e) => process(e) === side && e.args?.device === device)
            .map((e) => ({ step: e.args?.step, state: e.args?.device_state, name: e.name }));
          expect(traced).toEqual(steps.map((s) => ({ step: s.step, state: s.state, name: s.name })));
        }
      }
    },
  );

  it.each(['v1', 'v2'] as const)(
    '%s: migration.section instants add up to each device’s bytes',
    (protocol) => {
      const { report, events, process } = tracedMigration(protocol);
      const sections = events.filter((e) => e.category === 'migration.section');
      expect(sections.every((e) => process(e) === 'source')).toBe(true);
      const phases = new Set(report.migration!.phases.map((p) => p.name));
      expect(sections.every((e) => phases.has(e.name as never))).toBe(true);
      for (const d of report.migration!.devices) {
        const mine = sections.filter((e) => e.args?.device === d.source);
        expect(mine.length).toBeGreaterThan(d.precopyIterations);
        const sum = (key: string) => mine.reduce((n, e) => n + Number(e.args?.[key]), 0);
        expect(sum('deviceBytes')).toBe(d.deviceBytesSaved);
        expect(sum('sectionBytes')).toBe(d.streamBytes);
      }
      // per phase, the sections' device bytes are the phase's
      for (const p of report.migration!.phases) {
        const inPhase = sections.filter((e) => e.name === p.name);
        expect(inPhase.reduce((n, e) => n + Number(e.args?.deviceBytes), 0)).toBe(p.deviceBytes);
      }
    },
  );
});
