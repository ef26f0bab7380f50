import { describe, expect, it } from 'vitest';
import { loadScenario } from '../run/load-scenario.js';
import { runPlan } from '../run/run-scenario.js';
import { ScenarioExecutor } from './executor.js';
import type { ObservedMigration } from './world.js';

function load(text: string) {
  const { plan, errors } = loadScenario('vm.yaml', text);
  expect(errors).toEqual([]);
  return plan!;
}

describe('VM steps: mtty hosts, link faults, touched RAM, the verdict', () => {
  it('hosts with mtty devices: a guest with two mttys migrates over v2 (the P2P prepare pass)', () => {
    const plan = load(`name: two mttys
hosts:
  src: { vfs: 1, mtty: { count: 2 } }
  dst: { vfs: 1, mtty: { type: mtty-2, count: 2 } }
steps:
  - boot: { guest: g, host: src, memory: 0x100000, devices: [mtty, mtty] }
  - workload: { guest: g, jobs: 4, period-us: 10, limit: 8 }
  - run: 100
  - migrate: { guest: g, to: dst, protocol: v2 }
    expect: { verdict: pass, outcome: migrated, jobs: { unattributed: [], losses: {} } }
`);
    const r = runPlan(plan);
    expect(r.failure).toBeUndefined();
    expect(r.status).toBe('pass');
  });

  it('a link fault flips a byte of a vfio section: the section CRC refuses it, the migration aborts cleanly; without the CRC it does not', () => {
    const text = (crc: boolean) => `name: link flip
hosts:
  src: { vfs: 1 }
  dst: { vfs: 1 }
steps:
  - boot: { guest: g, host: src, memory: 0x1000000 }
  - workload: { guest: g, jobs: 2, period-us: 0 }
  - migrate:
      guest: g
      to: dst
      protocol: v2
      link: { section-crc: ${crc}, faults: [{ kind: flip, section: 0, phase: stop-and-copy, byte: 40, mask: 1 }] }
`;
    const ex = new ScenarioExecutor(load(text(true)));
    const plan = load(text(true));
    let seen: ReturnType<ScenarioExecutor['run']> | undefined;
    for (const step of plan.steps) seen = ex.run(step);
    expect(seen?.got).toMatchObject({ outcome: 'aborted', verdict: 'aborted', error: { errno: 'EIO' } });
    const unchecked = load(text(false));
    const ex2 = new ScenarioExecutor(unchecked);
    for (const step of unchecked.steps) seen = ex2.run(step);
    expect(seen?.got.verdict).not.toBe('aborted');
  });

  it('write-ram: pages above the drivers, moved with the guest; the observer gets the whole report', () => {
    const plan = load(`name: write ram
hosts:
  src: { vfs: 1 }
  dst: { vfs: 1 }
steps:
  - boot: { guest: g, host: src, memory: 0xa00000 }
  - write-ram: { guest: g, pages: 64, seed: 3 }
  - migrate: { guest: g, to: dst }
    expect: { verdict: pass, ram-identical: true }
  - write-ram: { guest: g, pages: 257 }
    expect: EINVAL
`);
    const seen: ObservedMigration[] = [];
    const ex = new ScenarioExecutor(plan, { onMigrate: (m) => seen.push(m) });
    const gots = plan.steps.map((s) => ex.run(s));
    expect(gots.map((g) => g.errno)).toEqual(['ok', 'ok', 'ok', 'EINVAL']);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.report.proof.ram?.pagesCompared).toBeGreaterThanOrEqual(64);
    expect(seen[0]?.destination.name).toBe('dst');
    expect(seen[0]?.guest.host.name).toBe('dst');
    expect(runPlan(plan).status).toBe('pass');
  });

  it('a verdict or loss expectation is only for migrate: another step cannot check it', () => {
    const { errors } = loadScenario(
      'bad.yaml',
      'name: x\nhosts: { a: {} }\nsteps:\n  - boot: { guest: g, host: a }\n    expect: { verdict: pass }\n',
    );
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/boot cannot check "verdict"/)]);
  });
});
