import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cruiseLayers, ruleSet } from './check.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('layer check', () => {
  it('rejects an upward import (qm-hw → vfio-core)', async () => {
    const violations = await cruiseLayers(join(here, 'fixtures/upward'), ['packages']);
    expect(violations).toEqual([
      { rule: 'layer:qm-hw', from: 'packages/qm-hw/src/index.ts', to: 'packages/vfio-core/src/index.ts' },
    ]);
  });

  it('accepts downward imports (qm-hw, vfio-core → platform)', async () => {
    const violations = await cruiseLayers(join(here, 'fixtures/downward'), ['packages']);
    expect(violations).toEqual([]);
  });

  it('rejects a run-time import cycle, accepts one that goes through type-only imports', async () => {
    const violations = await cruiseLayers(join(here, 'fixtures/cycles'), ['packages']);
    const cycles = violations.filter((v) => v.rule === 'no-circular');
    expect(cycles.length).toBeGreaterThan(0);
    expect(cycles.every((v) => /run-[ab]\.ts$/.test(v.from) && /run-[ab]\.ts$/.test(v.to))).toBe(true);
  });

  it('forbids platform from importing any other layer', () => {
    const rule = ruleSet().forbidden.find((r) => r.name === 'layer:platform');
    const to = new RegExp(rule.to.path);
    expect(to.test('packages/qm-hw/src/index.ts')).toBe(true);
    expect(to.test('apps/harness/src/cli.ts')).toBe(true);
    expect(to.test('packages/platform/src/errno.ts')).toBe(false);
  });
});
