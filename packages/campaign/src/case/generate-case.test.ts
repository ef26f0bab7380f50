import { errnoOf } from '@vfio-sim/platform';
import { formatScenario, loadScenario, planDocument, scenarioSchema } from '@vfio-sim/scenario';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseDevices, expectsMultipleDevicesBlocker } from './campaign-case.js';
import { migrationCaseArbitrary } from './case-arbitrary.js';
import { caseSteps } from './case-steps.js';
import { caseSeed, generateCase } from './generate-case.js';

/** A plan's steps without their file positions: what the executor acts on. */
const acts = (steps: readonly { action: string; args: unknown; expect: unknown }[]) =>
  steps.map(({ action, args, expect }) => ({ action, args, expect }));

describe('cases from (seed, index)', () => {
  it('the same seed and index give the same case; another index or seed, another case', () => {
    expect(generateCase(7, 3)).toEqual(generateCase(7, 3));
    const cases = Array.from({ length: 40 }, (_, i) => JSON.stringify(generateCase(7, i)));
    expect(new Set(cases).size).toBe(40);
    expect(JSON.stringify(generateCase(8, 3))).not.toBe(cases[3]);
    // huge indexes too (a campaign of 10^8 cases and beyond)
    expect(caseSeed(7, 2 ** 40)).not.toBe(caseSeed(7, 0));
    expect(generateCase(7, 2 ** 40)).toEqual(generateCase(7, 2 ** 40));
  });

  it('both kinds occur, and the migration cases cover protocols, kinds, devices, faults and hostile steps', () => {
    const cases = Array.from({ length: 400 }, (_, i) => generateCase(1, i));
    const migrations = cases.filter((c) => c.kind === 'migration');
    expect(cases.some((c) => c.kind === 'uapi')).toBe(true);
    const seen = (f: (c: (typeof migrations)[number]) => string | number | boolean) =>
      new Set(migrations.map(f));
    expect(seen((c) => c.protocol)).toEqual(new Set(['v1', 'v2']));
    expect(seen((c) => c.accel)).toEqual(new Set(['zip', 'sec', 'hpre']));
    expect(seen((c) => c.iommu).size).toBe(3);
    expect(seen((c) => caseDevices(c).join('+')).size).toBeGreaterThan(4);
    expect(seen((c) => c.fault?.on ?? 'none')).toEqual(new Set(['none', 'qm', 'link']));
    expect(seen((c) => expectsMultipleDevicesBlocker(c))).toEqual(new Set([true, false]));
    const ops = new Set(migrations.flatMap((c) => c.hostile.map((h) => h.op)));
    expect(ops).toEqual(new Set(['v2-arc', 'v1-arc', 'feature', 'region', 'data-fd', 'stream']));
  });

  it('seed and index are checked: EINVAL', () => {
    expect(errnoOf(() => generateCase(-1, 0))).toBe('EINVAL');
    expect(errnoOf(() => generateCase(2 ** 32, 0))).toBe('EINVAL');
    expect(errnoOf(() => generateCase(1, -1))).toBe('EINVAL');
    expect(errnoOf(() => generateCase(1, 0.5))).toBe('EINVAL');
  });

  it('every migration case is consistent: no mtty over v1, a qm fault on one of its VFs, touched pages within its RAM', () => {
    fc.assert(
      fc.property(migrationCaseArbitrary, (c) => {
        expect(c.hisiVfs + c.mttys).toBeGreaterThan(0);
        if (c.protocol === 'v1') expect(c.mttys).toBe(0);
        if (c.fault?.on === 'qm') expect(c.fault.device).toBeLessThan(c.hisiVfs);
        if (c.fault?.on === 'qm' && c.fault.kind === 'dma-fault') expect(c.fault.target).toBe('vf');
        expect(c.touchedPages).toBeLessThanOrEqual(c.extraMiB * 256);
        if (c.hisiVfs === 0) expect(c.hostile.every((h) => h.op === 'stream')).toBe(true);
        if (c.protocol === 'v1') expect(c.hostile.some((h) => h.op === 'data-fd')).toBe(false);
      }),
      { seed: 14, numRuns: 300 },
    );
  });

  it('each case is a valid scenario: the schema accepts it, and its text plans to what the campaign runs', () => {
    for (let i = 0; i < 40; i++) {
      const c = generateCase(3, i);
      const { hosts, steps } = caseSteps(c);
      const doc = { name: `case ${i}`, hosts, steps: steps.map((s) => s.step) };
      expect(scenarioSchema.parse(doc)).toEqual(doc);
      const direct = planDocument(doc, 'case.yaml');
      const loaded = loadScenario('case.yaml', formatScenario(doc));
      expect(loaded.errors).toEqual([]);
      expect(direct.errors).toEqual([]);
      expect(acts(loaded.plan!.steps)).toEqual(acts(direct.plan!.steps));
      expect(loaded.plan!.hosts).toEqual(direct.plan!.hosts);
    }
  });
});
