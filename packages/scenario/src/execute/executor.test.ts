import { KernelError } from '@vfio-sim/platform';
import { describe, expect, it, vi } from 'vitest';
import { loadScenario } from '../run/load-scenario.js';
import { ScenarioExecutor } from './executor.js';

function executor(steps: string) {
  const { plan, errors } = loadScenario('e.yaml', `name: e\nhosts:\n  a: {}\nsteps:\n${steps}`);
  expect(errors).toEqual([]);
  return { plan: plan!, ex: new ScenarioExecutor(plan!) };
}

describe('ScenarioExecutor', () => {
  it('observes the errno and message of a failing call and the after-step state', () => {
    const { plan, ex } = executor(
      '  - open: null\n  - set-state: ERROR\n    expect: { errno: EINVAL, state: RUNNING }\n',
    );
    expect(ex.run(plan.steps[0]!)).toEqual({ errno: 'ok', message: undefined, got: {} });
    const seen = ex.run(plan.steps[1]!);
    expect(seen).toMatchObject({ errno: 'EINVAL', got: { dataFd: 'none', state: 2 } });
    expect(seen.message).toMatch(/cannot be requested/);
  });

  it('"unchanged" compares a snapshot before and after: a rejected call changes nothing, an accepted arc does', () => {
    const { plan, ex } = executor(
      '  - open: null\n  - set-state: 99\n    expect: { errno: EINVAL, unchanged: true }\n  - set-state: STOP\n    expect: { unchanged: true }\n  - pread: { region: bar2, offset: 0x8000 }\n    expect: { errno: EINVAL, unchanged: true }\n',
    );
    ex.run(plan.steps[0]!);
    expect(ex.run(plan.steps[1]!).got.unchanged).toBe(true);
    expect(ex.run(plan.steps[2]!).got.unchanged).toMatch(/^a 0000:75:00\.1 v2State: 2 → 1$/);
    expect(ex.run(plan.steps[3]!).got.unchanged).toBe(true);
  });

  it('a refusal is made without a stack trace (only its errno and message are observed); a bug of the model propagates with its stack', () => {
    const { plan, ex } = executor('  - open: null\n  - get-state: vf\n');
    ex.run(plan.steps[0]!);
    const frames = (e: Error) =>
      (e.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at ')).length;
    let refusal: KernelError | undefined;
    const device = vi.spyOn(ex.world, 'device').mockImplementation(() => {
      refusal = new KernelError('EBADF', 'refused on purpose');
      throw refusal;
    });
    expect(ex.run(plan.steps[1]!)).toMatchObject({ errno: 'EBADF', message: 'EBADF: refused on purpose' });
    expect(refusal?.stack).toBe('KernelError: EBADF: refused on purpose');
    device.mockImplementation(() => {
      throw new TypeError('a bug of the model');
    });
    let bug: unknown;
    try {
      ex.run(plan.steps[1]!);
    } catch (e) {
      bug = e;
    }
    expect(bug).toBeInstanceOf(TypeError);
    expect(frames(bug as Error)).toBeGreaterThan(0);
    device.mockRestore();
    expect(frames(new KernelError('EBADF', 'outside a step'))).toBeGreaterThan(0);
  });

  it('a call on a closed device fd is EBADF', () => {
    const { plan, ex } = executor('  - open: null\n  - close: vf\n  - get-state: vf\n    expect: EBADF\n');
    ex.run(plan.steps[0]!);
    ex.run(plan.steps[1]!);
    expect(ex.run(plan.steps[2]!)).toMatchObject({ errno: 'EBADF', got: {} });
  });

  it('is deterministic: the same plan gives the same observations', () => {
    const steps =
      '  - boot: { guest: g }\n  - workload: { guest: g, jobs: 4, period-us: 10, limit: 8 }\n  - run: 60\n  - tally: g\n';
    const once = () => {
      const { plan, ex } = executor(steps);
      return plan.steps.map((s) => ex.run(s));
    };
    expect(JSON.stringify(once())).toBe(JSON.stringify(once()));
  });
});
