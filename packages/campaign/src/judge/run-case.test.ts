import { type DeviceEntry, ScenarioExecutor } from '@vfio-sim/scenario';
import { describe, expect, it, vi } from 'vitest';
import { FOUR_REFUSED_REQUESTS, smallMigrationCase } from '../__fixtures__/small-case.js';
import type { MigrationCase, UapiCase } from '../case/campaign-case.js';
import { generateCase } from '../case/generate-case.js';
import { judgeCase, judgeGivenCase } from './judge-case.js';
import { runCase } from './run-case.js';

/** A small migration case (one VF, 1 MiB beyond the driver's, 8 pages written), fields overridden. */
const migration = (over: Partial<MigrationCase> = {}) =>
  smallMigrationCase({ extraMiB: 1, touchedPages: 8, runUs: 30, ...over });

describe('runCase: the invariants', () => {
  it('a plain migration passes every invariant', () => {
    const run = runCase(migration());
    expect(run.violations).toEqual([]);
    expect(run.migration).toMatchObject({ verdict: 'pass', outcome: 'migrated', errno: null });
    expect(run.steps.map((s) => s.role)).toEqual(['setup', 'setup', 'setup', 'setup', 'migrate']);
  });

  it("v2 with two VFs meets QEMU's multiple-devices blocker (EOPNOTSUPP at setup, the guest served at the source); two mttys migrate", () => {
    const blocked = runCase(migration({ hisiVfs: 2 }));
    expect(blocked.violations).toEqual([]);
    expect(blocked.migration).toMatchObject({ verdict: 'aborted', errno: 'EOPNOTSUPP', phase: 'setup' });
    const mttys = runCase(migration({ hisiVfs: 0, mttys: 2 }));
    expect(mttys.violations).toEqual([]);
    expect(mttys.migration?.verdict).toBe('pass');
    // over v1 two VFs move: no blocker there
    expect(runCase(migration({ hisiVfs: 2, protocol: 'v1' })).migration?.verdict).toBe('pass');
  });

  it('hostile requests are refused with an errno and change nothing; a corrupted stream may leave the VF in ERROR until the reset', () => {
    const run = runCase(
      migration({
        hostile: [
          { op: 'v2-arc', state: 0 },
          { op: 'feature', feature: 2, access: 'set', argsz: 9 },
          { op: 'region', access: 'read', region: 2, offset: 0x8000 },
          { op: 'data-fd', misuse: ['write', 'precopy-info'] },
          { op: 'stream', flips: [{ at: 0, xor: 0xff }], keep: null },
        ],
      }),
    );
    expect(run.violations).toEqual([]);
    const refused = run.observations.filter((o, i) => run.steps[i]?.role === 'hostile' && o.errno !== 'ok');
    // ERROR as a target; a SET too short; BAR2's migration half; a write to the read-only saving fd, a
    // short PRECOPY_INFO; the corrupted stream refused as it is written (bad magic), then the load of nothing
    expect(refused.map((o) => o.errno)).toEqual([
      'EINVAL',
      'EINVAL',
      'EINVAL',
      'EBADF',
      'EINVAL',
      'EFAULT',
      'EINVAL',
    ]);
    for (const o of refused) expect(o.unchanged === true || o.inError === true).toBe(true);
    expect(run.migration?.verdict).toBe('pass');
  });

  it("a refused request is judged on its own device: a running guest's jobs on another VF may go on meanwhile", () => {
    // case 3:13: a corrupted stream written into the destination's free VF fails with EFAULT while the
    // source guest's queue advances (virtual time passes in the write): not the request's doing
    const { result, run } = judgeCase(3, 13);
    expect(result.violations).toEqual([]);
    const refused = run.observations.filter((o, i) => run.steps[i]?.role === 'hostile' && o.errno !== 'ok');
    expect(refused.map((o) => [o.errno, o.unchanged])).toContainEqual(['EFAULT', true]);
  });

  it('a uAPI-only case opens a VF and judges each request', () => {
    const c: UapiCase = {
      kind: 'uapi',
      accel: 'sec',
      iommu: 'vtd-ss',
      protocol: 'v1',
      steps: [
        { op: 'v1-arc', state: 5, raw: false },
        { op: 'stream', flips: [], keep: 17 },
        { op: 'region', access: 'info', region: 33, offset: 0 },
      ],
    };
    const run = runCase(c);
    expect(run.violations).toEqual([]);
    expect(run.migration).toBeNull();
    expect(run.steps[0]?.step).toEqual({ open: { host: 'host', vf: 0, as: 'h' } });
  });

  it('a refused request that changes its device breaks "state-after-failure", and the detail names the word', () => {
    // a model bug simulated: the region request, refused, leaves QM_PAGE_SIZE changed behind it
    const run = ScenarioExecutor.prototype.run;
    const spy = vi.spyOn(ScenarioExecutor.prototype, 'run').mockImplementation(function (
      this: ScenarioExecutor,
      step,
    ) {
      const seen = run.call(this, step);
      if (step.action === 'pread' && step.subject !== undefined) {
        const entry = this.world.device(step.subject);
        entry.host.qmFunction(entry.pciName).bar2.writel(0x34, 0x1000); // QM_PAGE_SIZE
      }
      return seen;
    });
    try {
      const { violations } = runCase({
        ...FOUR_REFUSED_REQUESTS,
        steps: FOUR_REFUSED_REQUESTS.steps.slice(0, 3),
      });
      expect(violations).toEqual([
        {
          invariant: 'state-after-failure',
          step: 3,
          detail:
            'pread failed with EINVAL and changed host 0000:75:00.1 hardware regs pageSize: 0x0 → 0x1000',
        },
      ]);
    } finally {
      spy.mockRestore();
    }
    expect(runCase(FOUR_REFUSED_REQUESTS).violations).toEqual([]);
  });

  it('a uAPI case runs on the hosts a previous one left as built, and is judged there as on new hosts', () => {
    const c: UapiCase = { ...FOUR_REFUSED_REQUESTS, accel: 'hpre' };
    runCase(c);
    const kept = runCase(c);
    const fresh = runCase(c, { reuseHosts: false });
    expect([kept.reusedHosts, fresh.reusedHosts]).toEqual([true, false]);
    expect(kept.observations).toEqual(fresh.observations);
    expect(kept.violations).toEqual([]);
    // with the determinism check, the judgment on kept hosts is compared with the one on new hosts
    expect(judgeGivenCase(0, c, { determinism: true }).result.deterministic).toBe(true);
  });

  it('a case that leaves its host changed does not hand it on: the next case builds new hosts', () => {
    const c: UapiCase = { ...FOUR_REFUSED_REQUESTS, accel: 'hpre', iommu: 'vtd-ss' };
    runCase(c);
    expect(runCase(c).reusedHosts).toBe(true);
    const run = ScenarioExecutor.prototype.run;
    const spy = vi.spyOn(ScenarioExecutor.prototype, 'run').mockImplementation(function (
      this: ScenarioExecutor,
      step,
    ) {
      const seen = run.call(this, step);
      this.world.host('host').device.pf.bar2.writel(0x34, 0x1000); // the PF's QM_PAGE_SIZE: not the subject's
      return seen;
    });
    try {
      expect(runCase(c).reusedHosts).toBe(true);
    } finally {
      spy.mockRestore();
    }
    expect(runCase(c).reusedHosts).toBe(false);
    expect(runCase(c).reusedHosts).toBe(true);
  });

  it('generated uAPI cases (every kind of hostile request, v1 and v2) run on the device a previous case left open exactly as on new hosts', () => {
    const cases: UapiCase[] = [];
    for (let i = 0; cases.length < 120; i++) {
      const c = generateCase(23, i);
      if (c.kind === 'uapi') cases.push(c);
    }
    const kinds = new Set(
      cases.flatMap((c) =>
        c.steps.map((s) => `${c.protocol} ${s.op}${s.op === 'region' ? ` ${s.access}` : ''}`),
      ),
    );
    // every request of both protocols (a data fd is v2's)
    const ops = ['feature', 'region info', 'region read', 'region mmap', 'stream', 'v1-arc', 'v2-arc'];
    expect([...kinds].sort()).toEqual([...ops.flatMap((k) => [`v1 ${k}`, `v2 ${k}`]), 'v2 data-fd'].sort());
    const fresh = cases.map((c) => runCase(c, { reuseHosts: false }));
    const kept = cases.map((c) => runCase(c));
    expect(kept.map((r) => [r.observations, r.violations])).toEqual(
      fresh.map((r) => [r.observations, r.violations]),
    );
    expect(fresh.every((r) => r.violations.length === 0)).toBe(true);
    // all but the first case of each kind of hosts (accelerator × IOMMU format) find the device open
    const reused = kept.filter((r) => r.reusedDevice).length;
    expect(reused).toBeGreaterThan(cases.length * 0.8);
    expect(fresh.some((r) => r.reusedHosts || r.reusedDevice)).toBe(false);
  });

  it('a case that leaves its open device or its VMM process changed does not hand it on: the next case opens the device anew on the kept hosts', () => {
    const c: UapiCase = { ...FOUR_REFUSED_REQUESTS, accel: 'sec', iommu: 'amd-v1' };
    runCase(c);
    expect(runCase(c).reusedDevice).toBe(true);
    // behind the judgment's back, what a rewind does not undo and no host fingerprint sees: an IOAS
    // left in the VMM's iommufd, a heap block left in its memory
    const leftovers: ((entry: DeviceEntry) => void)[] = [
      (entry) => entry.vmm.iommufd.ioasAlloc(),
      (entry) => entry.vmm.process.mm.alloc(64),
    ];
    for (const leave of leftovers) {
      const run = ScenarioExecutor.prototype.run;
      const spy = vi.spyOn(ScenarioExecutor.prototype, 'run').mockImplementation(function (
        this: ScenarioExecutor,
        step,
      ) {
        const seen = run.call(this, step);
        if (step.action === 'region-info' && step.subject !== undefined)
          leave(this.world.device(step.subject));
        return seen;
      });
      try {
        expect(runCase(c).reusedDevice).toBe(true);
      } finally {
        spy.mockRestore();
      }
      // the process's fds closed, the hosts are as built: the device is opened anew
      const next = runCase(c);
      expect([next.reusedHosts, next.reusedDevice]).toEqual([true, false]);
      expect(runCase(c).reusedDevice).toBe(true);
    }
  });

  it('determinism: the same case twice, the same trace', () => {
    const { result } = judgeCase(2, 5, { determinism: true });
    expect(result.deterministic).toBe(true);
    expect(result.violations).toEqual([]);
    const a = runCase(migration(), { trace: true });
    const b = runCase(migration(), { trace: true });
    expect(a.trace).toBe(b.trace);
    expect(a.trace!.length).toBeGreaterThan(1000);
    expect(runCase(migration({ workloadSeed: 2 }), { trace: true }).trace).not.toBe(a.trace);
  });

  it('the planted bug breaks "no-silent-loss" at the migration, and only while it is planted', () => {
    const c = migration();
    const bad = judgeGivenCase(0, c, { plantBug: 'drop-destination-completion' });
    expect(bad.result.violations.map((v) => v.invariant)).toContain('no-silent-loss');
    expect(bad.result.violations[0]?.step).toBe(4);
    expect(judgeGivenCase(0, c).result.violations).toEqual([]);
  });
});
