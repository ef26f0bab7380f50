import { errnoOf } from '@vfio-sim/platform';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
    expect(r.jobs.submitted).toBe(28);
    expect(r.jobs.verified).toBe(28);
    expect(r.jobs.completedOnSource + r.jobs.completedOnDestination).toBe(28);
    expect(r.bytes.deviceState.saved).toBe(r.bytes.deviceState.loaded);
    expect(r.bytes.guestMemory.bytes).toBeGreaterThan(0);
    expect(r.virtualTimeUs.phases.reduce((a, p) => a + p.us, 0)).toBe(r.virtualTimeUs.total);
  });

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
    expect(r.jobs.completedOnSource + r.jobs.completedOnDestination).toBe(5);
  });

  it('prints the summary and the verdict', () => {
    const text = formatDemoReport(runDemo({ seed: 1, jobs: 24 }));
    expect(text).toContain('running → pre-copy → stop-and-copy → stop');
    expect(text).toContain('running → resuming → running');
    expect(text).toContain('verified exactly once  28 / 28');
    expect(text).toMatch(/\nPASS/);
    expect(text).not.toContain('not built yet');
  });

  it('passes for any seed and job count (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 1, max: 32 }), (seed, jobs) => {
        const r = runDemo({ seed, jobs });
        expect(r.failures).toEqual([]);
        expect(r.jobs.verified).toBe(jobs + 4);
        expect(r.jobs.inFlightAtStop).toBeLessThanOrEqual(jobs - r.jobs.completedBeforeMigration);
      }),
      { numRuns: 12, seed: 42 },
    );
  });

  it('refuses a job count outside the guest driver buffers (EINVAL, no run)', () => {
    for (const jobs of [0, 33, 1.5])
      expect(errnoOf(() => runMigrationDemo({ seed: 1, jobs }))).toBe('EINVAL');
  });
});
