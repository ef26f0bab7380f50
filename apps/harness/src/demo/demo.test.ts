import { errnoOf } from '@vfio-sim/platform';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IOMMU_FORMATS } from '../host/host-iommu.js';
import { formatDemoReport, runDemo } from './demo.js';
import { runMigrationDemo } from './migration-demo.js';

describe('demo', () => {
  it('is deterministic for a seed and passes', () => {
    const a = runDemo({ seed: 7, jobs: 24 });
    const b = runDemo({ seed: 7, jobs: 24 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.result).toBe('PASS');
    expect(a.failures).toEqual([]);
  });

  it('moves a workload with jobs in flight and verifies every job exactly once', () => {
    const r = runDemo({ seed: 1, jobs: 24 });
    expect(r.states.source).toEqual(['running', 'pre-copy', 'stop-and-copy', 'stop']);
    expect(r.states.destination).toEqual(['running', 'resuming', 'running']);
    expect(r.jobs.inFlightAtStop).toBeGreaterThan(0);
    expect(r.jobs.submittedDuringMigration).toBeGreaterThan(0);
    const total = 24 + r.jobs.submittedDuringMigration + 4;
    expect(r.jobs.submitted).toBe(total);
    expect(r.jobs.verified).toBe(total);
    expect(r.jobs.completedOnSource + r.jobs.completedOnDestination).toBe(total);
    expect(r.bytes.deviceState.saved).toBe(r.bytes.deviceState.loaded);
    expect(r.bytes.guestMemory.bytes).toBeGreaterThan(0);
    expect(r.virtualTimeUs.phases.reduce((a, p) => a + p.us, 0)).toBe(r.virtualTimeUs.total);
    expect(r.ram.mode).toBe('precopy');
    expect(r.ram.converged).toBe(true);
    expect(r.ram.check.mismatchedPages).toBe(0);
    expect(r.comparison).toMatchObject({ mode: 'stop-and-copy', result: 'PASS' });
    expect(r.downtimeRatio).toBeLessThan(0.6);
    expect(r.downtimeRatio).toBeCloseTo(r.virtualTimeUs.downtime / r.comparison.downtimeUs, 2);
  });

  it.each(['amd-v1', 'vtd-ss', 'arm-smmuv3-s1'] as const)(
    'passes with RAM pre-copy off and on over %s',
    (iommu) => {
      const off = runDemo({ seed: 4, jobs: 16, precopy: false, iommu });
      const on = runDemo({ seed: 4, jobs: 16, precopy: true, iommu });
      expect([off.result, on.result]).toEqual(['PASS', 'PASS']);
      expect(off.ram.rounds).toEqual([]);
      expect(off.comparison.mode).toBe('precopy');
      expect(off.comparison.downtimeUs).toBe(on.virtualTimeUs.downtime);
      expect(off.downtimeRatio).toBe(on.downtimeRatio);
    },
  );

  it('another seed draws other jobs and another switch-over point', () => {
    const a = runDemo({ seed: 1, jobs: 24 });
    const b = runDemo({ seed: 2, jobs: 24 });
    expect(b.result).toBe('PASS');
    expect(JSON.stringify(b.jobs) + JSON.stringify(b.bytes)).not.toBe(
      JSON.stringify(a.jobs) + JSON.stringify(a.bytes),
    );
  });

  it('passes with a single job (it may finish before the stop: the summary says how many were in flight)', () => {
    const r = runDemo({ seed: 3, jobs: 1 });
    expect(r.result).toBe('PASS');
    expect(r.jobs.inFlightAtStop).toBeLessThanOrEqual(1);
    expect(r.jobs.completedOnSource + r.jobs.completedOnDestination).toBe(r.jobs.submitted);
    expect(r.jobs.submitted).toBe(1 + r.jobs.submittedDuringMigration + 4);
  });

  it('prints the summary and the verdict', () => {
    const r = runDemo({ seed: 1, jobs: 24 });
    const text = formatDemoReport(r);
    expect(text).toContain('running → pre-copy → stop-and-copy → stop');
    expect(text).toContain('running → resuming → running');
    expect(text).toContain(`verified exactly once  ${r.jobs.submitted} / ${r.jobs.submitted}`);
    expect(text).toMatch(/\n {2}final {2}stopped /);
    expect(text).toContain('guest RAM identical at the switch-over');
    expect(text).toMatch(/Downtime, same seed: \d+ µs with RAM pre-copy, \d+ µs copying RAM whole/);
    expect(text).toMatch(/\nPASS/);
    expect(text).not.toContain('not built yet');
  });

  it('passes for any seed, job count, RAM mode and IOMMU format (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 1, max: 32 }),
        fc.boolean(),
        fc.constantFrom(...IOMMU_FORMATS),
        (seed, jobs, precopy, iommu) => {
          const r = runDemo({ seed, jobs, precopy, iommu });
          expect(r.failures).toEqual([]);
          expect(r.jobs.verified).toBe(jobs + r.jobs.submittedDuringMigration + 4);
          expect(r.ram.check.mismatchedPages).toBe(0);
          expect(r.comparison.result).toBe('PASS');
          expect(r.downtimeRatio).toBeLessThanOrEqual(1);
          expect(r.jobs.inFlightAtStop).toBeLessThanOrEqual(
            jobs + r.jobs.submittedDuringMigration - r.jobs.completedBeforeMigration,
          );
        },
      ),
      { numRuns: 12, seed: 42 },
    );
  });

  it('refuses a job count outside the guest driver buffers (EINVAL, no run)', () => {
    for (const jobs of [0, 33, 1.5])
      expect(errnoOf(() => runMigrationDemo({ seed: 1, jobs }))).toBe('EINVAL');
  });
});
