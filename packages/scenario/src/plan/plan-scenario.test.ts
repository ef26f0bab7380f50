import { describe, expect, it } from 'vitest';
import { loadScenario } from '../run/load-scenario.js';
import { formatScenarioError } from '../validate/scenario-error.js';

function plan(steps: string, hosts = '  a: {}\n') {
  return loadScenario('p.yaml', `name: p\nhosts:\n${hosts}steps:\n${steps}`);
}

function errors(steps: string, hosts?: string): string[] {
  return plan(steps, hosts).errors.map(formatScenarioError);
}

describe('planScenario', () => {
  it('fills defaults, resolves names to numbers, and keeps each step’s position', () => {
    const { plan: p } = plan(
      '  - open: null\n  - set-state: PRE_COPY\n    expect: { state: PRE_COPY, data-fd: opened }\n  - region-info: migration\n    expect: { flags: [READ, WRITE] }\n  - read-data: eof\n',
    );
    expect(p?.hosts).toEqual([
      {
        name: 'a',
        kind: 'zip',
        vfs: 2,
        iommu: 'arm-smmuv3-s1',
        iommuDirtyTracking: true,
        opsStyle: 'explicit',
        ram: 1 << 20,
      },
    ]);
    expect(p?.seed).toBe(1);
    expect(p?.steps.map((s) => [s.action, s.line, s.column])).toEqual([
      ['open', 5, 5],
      ['set-state', 6, 5],
      ['region-info', 8, 5],
      ['read-data', 10, 5],
    ]);
    expect(p?.steps[0]?.args).toEqual({ host: 'a', vf: 0, as: 'vf', bind: true });
    expect(p?.steps[1]).toMatchObject({
      args: { device: { kind: 'opened', name: 'vf' }, state: 6 },
      expect: { errno: 'ok', state: 6, dataFd: 'opened' },
      subject: { kind: 'opened', name: 'vf' },
    });
    expect(p?.steps[2]).toMatchObject({ args: { region: 'migration' }, expect: { flags: 3 } });
    expect(p?.steps[3]?.args).toMatchObject({ count: 'eof', chunk: 4096, into: 'vf' });
  });

  it('translates a migrate step’s faults into vmm FaultSpecs', () => {
    const { plan: p } = plan(
      '  - boot: { guest: g, host: a }\n  - migrate: { to: b, faults: [{ kind: mb-error, status: 3, at: stop, side: destination, clear-at: resume }, { kind: dma-fault, iova: 0x1000, at: { us: 5 } }] }\n',
      '  a: {}\n  b: {}\n',
    );
    expect(p?.steps[0]?.args).toMatchObject({ guest: 'g', host: 'a', devices: ['hisi-acc-vf'] });
    expect(p?.steps[1]?.args).toMatchObject({
      guest: 'g',
      to: 'b',
      protocol: 'v2',
      faults: [
        { fault: { kind: 'mb-error', status: 3 }, at: 'stop', side: 'destination', clearAt: 'resume' },
        { fault: { kind: 'dma-fault', iova: 0x1000 }, at: { us: 5 } },
      ],
    });
  });

  it('refuses references to what no earlier step made, at the field', () => {
    expect(
      errors(
        '  - set-state: RUNNING\n  - open: { host: b }\n  - open: { as: x }\n  - read-data: { device: y }\n  - get-state: g/0\n  - write-data: { device: x, from: nothing }\n  - attach: nowhere\n  - get-dirty-bitmap: { length: 4096 }\n  - mmio: { mapping: m, offset: 0 }\n',
      ),
    ).toEqual([
      'p.yaml:5:16: steps[0].set-state.device: no device is open or booted before this step',
      'p.yaml:6:19: steps[1].open.host: no host "b" (hosts: a)',
      'p.yaml:8:26: steps[3].read-data.device: no device "y" was opened before this step',
      'p.yaml:9:16: steps[4].get-state: no guest "g" was booted before this step',
      'p.yaml:10:36: steps[5].write-data.from: no buffer "nothing" before this step',
      'p.yaml:11:13: steps[6].attach.pt: no IOAS or HWPT "nowhere" before this step',
      'p.yaml:12:23: steps[7].get-dirty-bitmap.hwpt: no HWPT before this step',
      'p.yaml:13:22: steps[8].mmio.mapping: no mapping "m" before this step',
    ]);
  });

  it('refuses expectations the step cannot observe, and flag names of the wrong kind', () => {
    expect(
      errors(
        '  - open: null\n  - set-state: STOP\n    expect: { bitmap: [1] }\n  - region-info: bar2\n    expect: { flags: [STOP_COPY] }\n  - run: 5\n    expect: { unchanged: true }\n',
      ),
    ).toEqual([
      'p.yaml:7:23: steps[1].expect.bitmap: set-state cannot check "bitmap" (it can check data-fd, state, v1-state, unchanged)',
      'p.yaml:9:22: steps[2].expect.flags: region-info: "STOP_COPY" is not one of READ, WRITE, MMAP, CAPS',
      'p.yaml:11:26: steps[3].expect.unchanged: run cannot check "unchanged"',
    ]);
  });

  it('asks for a name when more than one device, guest or host could be meant', () => {
    expect(
      errors(
        '  - open: { as: a1 }\n  - open: { host: b, as: a2 }\n  - open: { host: a, as: a3 }\n  - reset: null\n  - boot: null\n',
        '  a: {}\n  b: {}\n',
      ),
    ).toEqual([
      'p.yaml:6:11: steps[0].open.host: name the host: there are 2 (a, b)',
      'p.yaml:9:12: steps[3].reset.device: name the device: there are 3 (a1, a2, a3)',
      'p.yaml:10:11: steps[4].boot.host: name the host: there are 2 (a, b)',
    ]);
  });

  it('checks argument combinations: offset with field, value with data, xor with value', () => {
    expect(
      errors(
        '  - open: null\n  - pread: { region: migration, field: data_size, offset: 8 }\n  - pwrite: { region: bar2 }\n  - pwrite: { region: bar2, value: 0x100, width: 1 }\n  - write-data: { data: "00", corrupt: [{ at: 0, xor: 1, value: 2 }] }\n',
      ),
    ).toEqual([
      'p.yaml:6:59: steps[1].pread.offset: give offset or field, not both',
      'p.yaml:7:13: steps[2].pwrite: give one of value or data',
      'p.yaml:8:36: steps[3].pwrite.value: 0x100 does not fit 1 bytes',
      'p.yaml:9:41: steps[4].write-data.corrupt[0]: give one of xor or value',
    ]);
  });
});
