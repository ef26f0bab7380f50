import { KernelError } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../run/load-scenario.js';
import { DeviceFingerprint } from './device-fingerprint.js';
import { ScenarioExecutor } from './executor.js';

const TEXT = `name: rewind
hosts: { a: { vfs: 2 } }
steps:
  - open: { vf: 0, as: x }
  - set-state: { device: x, state: PRE_COPY, fd-as: f }
  - read-data: { device: x, fd: f, count: 16, into: r }
  - precopy-info: { device: x, fd: f }
  - mmap: { device: x, region: bar2, offset: 0, length: 4096, as: m }
  - set-state: { device: x, state: RUNNING }
  - set-state: { device: x, state: ERROR }
`;

describe('ScenarioWorld.rewind and a world handed on', () => {
  it("closes the steps' data fds, unmaps and frees what they made, forgets their names; the device stays open, as opened", () => {
    const { plan } = loadScenario('rewind.yaml', TEXT);
    const steps = plan!.steps;
    const ex = new ScenarioExecutor(plan!);
    expect(ex.run(steps[0]!).errno).toBe('ok');
    const x = ex.world.allDevices()[0]!;
    const { process } = x.vmm;
    const asOpened = new DeviceFingerprint().take(x);
    const heap = process.mm.heapStats();
    const fds = process.openFds();
    const seen = steps.slice(1).map((s) => ex.run(s));
    expect(seen.map((o) => o.errno)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'EINVAL']);
    const now = new DeviceFingerprint().take(x);
    expect(now.diff(asOpened)).toMatch(/fds/); // the data fd is still open
    expect(process.mm.heapStats()).not.toEqual(heap);
    const mapping = ex.world.mappings.get('m')!;
    ex.world.rewind();
    expect(process.openFds()).toEqual(fds);
    expect(now.take(x).diff(asOpened)).toBeUndefined();
    expect(process.mm.heapStats()).toEqual(heap);
    expect(mapping.isMapped).toBe(false);
    expect([ex.world.mappings.size, ex.world.buffers.size, x.dataFds.size, x.newestDataFd]).toEqual([
      0,
      0,
      0,
      undefined,
    ]);
    // a next executor goes on in the rewound world, its device open: the same observations
    const next = new ScenarioExecutor(plan!, { world: ex.world });
    expect(next.world).toBe(ex.world);
    expect(steps.slice(1).map((s) => next.run(s))).toEqual(seen);
  });

  it('what it cannot undo stays for a fingerprint to find; a world handed on must be of the plan’s hosts', () => {
    const { plan } = loadScenario('rewind.yaml', TEXT);
    const ex = new ScenarioExecutor(plan!);
    ex.run(plan!.steps[0]!);
    const x = ex.world.allDevices()[0]!;
    const asOpened = new DeviceFingerprint().take(x);
    ex.run(plan!.steps[1]!); // PRE_COPY: the device's state is no step's leftover
    ex.world.rewind();
    expect(new DeviceFingerprint().take(x).diff(asOpened)).toBe('a 0000:75:00.1 v2State: 2 → 6'); // PRE_COPY
    const other = loadScenario(
      'other.yaml',
      TEXT.replace('{ a: {', '{ b: {').replace('vf: 0,', 'host: b, vf: 0,'),
    );
    expect(() => new ScenarioExecutor(other.plan!, { world: ex.world })).toThrow(KernelError);
  });
});
