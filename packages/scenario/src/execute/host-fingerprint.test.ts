import { KernelError } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../run/load-scenario.js';
import { ScenarioExecutor } from './executor.js';
import { HostFingerprint } from './host-fingerprint.js';

const TEXT =
  'name: reuse\nhosts: { a: { vfs: 2 } }\nsteps:\n  - open: { vf: 0, as: x }\n  - set-state: { device: x, state: STOP }\n';

describe('HostFingerprint and a released world', () => {
  it('a host whose VMM closed its fds is as built; a next world runs on it with the same observations', () => {
    const { plan } = loadScenario(
      'reuse.yaml',
      'name: reuse\nhosts: { a: { vfs: 2 } }\nsteps:\n  - open: { vf: 0, as: x }\n  - set-state: { device: x, state: ERROR }\n  - region-info: { device: x, region: 33 }\n',
    );
    const first = new ScenarioExecutor(plan!);
    const host = first.world.host('a');
    const asBuilt = new HostFingerprint().take(host);
    const seen = plan!.steps.map((s) => first.run(s));
    expect(seen.map((o) => o.errno)).toEqual(['ok', 'EINVAL', 'EINVAL']);
    const released = first.world.release();
    expect(new HostFingerprint().take(host).diff(asBuilt)).toBeUndefined();
    const second = new ScenarioExecutor(plan!, { hosts: released });
    expect(second.world.host('a')).toBe(host);
    expect(plan!.steps.map((s) => second.run(s))).toEqual(seen);
  });

  it('a VF its VMM left in STOP is not as built, even with its fds closed', () => {
    const { plan } = loadScenario('reuse.yaml', TEXT);
    const ex = new ScenarioExecutor(plan!);
    const host = ex.world.host('a');
    const asBuilt = new HostFingerprint().take(host);
    expect(plan!.steps.map((s) => ex.run(s).errno)).toEqual(['ok', 'ok']);
    ex.world.release();
    expect(new HostFingerprint().take(host).diff(asBuilt)).toBe('vfs[0] v2State: 2 → 1');
  });

  it('names a change in the hardware of a function; reused hosts must be the plan’s', () => {
    const { plan } = loadScenario('reuse.yaml', TEXT);
    const ex = new ScenarioExecutor(plan!);
    const host = ex.world.host('a');
    const asBuilt = new HostFingerprint().take(host);
    host.device.vfs[1]!.bar2.writel(0x34, 0x10); // QM_PAGE_SIZE
    expect(new HostFingerprint().take(host).diff(asBuilt)).toBe('vf 1 hardware regs pageSize: 0x0 → 0x10');
    const released = ex.world.release();
    const other = loadScenario(
      'other.yaml',
      TEXT.replace('{ a: {', '{ b: {').replaceAll('vf: 0,', 'host: b, vf: 0,'),
    );
    expect(() => new ScenarioExecutor(other.plan!, { hosts: released })).toThrow(KernelError);
  });
});
