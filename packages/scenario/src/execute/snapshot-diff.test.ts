import { describe, expect, it } from 'vitest';
import { loadScenario } from '../run/load-scenario.js';
import { DeviceFingerprint } from './device-fingerprint.js';
import { ScenarioExecutor } from './executor.js';
import { deviceSnapshot, snapshot, snapshotDiff } from './snapshot.js';

describe('snapshotDiff', () => {
  it('equal snapshots: none; else the first difference with its path', () => {
    const a = {
      dev: {
        v2State: 2,
        queues: [
          { qn: 0, head: 1 },
          { qn: 1, head: 0 },
        ],
      },
      fds: [3, 4],
    };
    expect(snapshotDiff(a, structuredClone(a))).toBeUndefined();
    const b = structuredClone(a);
    b.dev.queues[1]!.head = 5;
    expect(snapshotDiff(a, b)).toBe('dev queues[1] head: 0 → 5');
    expect(snapshotDiff(a, { ...a, fds: [3] })).toBe('fds[1]: 4 → none');
    expect(snapshotDiff({ x: 1 }, { x: 1, y: 'new' })).toBe('y: none → new');
    expect(snapshotDiff({ x: null }, { x: { y: 1 } })).toBe('x: null → {"y":1}');
  });
});

/**
 * Two VFs of host `a` opened as `x` and `y` (the first two steps run); then `y` goes to STOP, then `x`.
 * @returns the executor, `x`'s entry, and a runner of the next step
 */
function twoOpened() {
  const { plan } = loadScenario(
    'two.yaml',
    'name: two\nhosts: { a: {} }\nsteps:\n  - open: { vf: 0, as: x }\n  - open: { vf: 1, as: y }\n  - set-state: { device: y, state: STOP }\n  - set-state: { device: x, state: STOP }\n',
  );
  const ex = new ScenarioExecutor(plan!);
  const steps = plan!.steps.values();
  const next = () => ex.run(steps.next().value!);
  next();
  next();
  return { ex, x: ex.world.device({ kind: 'opened', name: 'x' }), next };
}

describe('deviceSnapshot', () => {
  it("a device's part of the world snapshot: another device changing does not show in it", () => {
    const { ex, x, next } = twoOpened();
    const beforeX = deviceSnapshot(x);
    const beforeWorld = snapshot(ex.world);
    expect(Object.keys(beforeX)).toEqual(['a 0000:75:00.1', 'scenario@a']);
    next();
    expect(snapshotDiff(beforeX, deviceSnapshot(x))).toBeUndefined();
    expect(snapshotDiff(beforeWorld, snapshot(ex.world))).toMatch(/^a 0000:75:00\.2 v2State: 2 → 1$/);
  });
});

describe('DeviceFingerprint', () => {
  it('differs where the device snapshot does: its state, its hardware; not another device', () => {
    const { x, next } = twoOpened();
    const before = new DeviceFingerprint().take(x);
    const after = new DeviceFingerprint();
    const snap = deviceSnapshot(x);
    next();
    expect(after.take(x).diff(before)).toBeUndefined();
    expect(snapshotDiff(snap, deviceSnapshot(x))).toBeUndefined();
    next();
    expect(after.take(x).diff(before)).toBe('a 0000:75:00.1 v2State: 2 → 1');
    expect(snapshotDiff(snap, deviceSnapshot(x))).toBe('a 0000:75:00.1 v2State: 2 → 1');
    const fresh = new DeviceFingerprint().take(x);
    const snapNow = deviceSnapshot(x);
    x.host.qmFunction(x.pciName).bar2.writel(0x34, 0x10); // QM_PAGE_SIZE
    expect(after.take(x).diff(fresh)).toBe('a 0000:75:00.1 hardware regs pageSize: 0x0 → 0x10');
    expect(snapshotDiff(snapNow, deviceSnapshot(x))).toBe('a 0000:75:00.1 hardware regs pageSize: 0 → 16');
  });
});
