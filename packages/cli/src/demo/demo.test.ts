import { errnoOf, MemoryTraceSink, toChromeTrace, validateChromeTrace } from '@vfio-sim/platform';
import { IOMMU_FORMATS } from '@vfio-sim/vmm';
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
    // Seed 2: its stop falls with a job in flight (seed 1's falls between two jobs).
    const r = runDemo({ seed: 2, jobs: 24 });
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

  it('prints every lost job with its cause and the silent ones apart; --json carries them', () => {
    const r = runDemo({ seed: 3, jobs: 8 });
    expect(r.jobs).toMatchObject({ lost: 0, losses: [], unattributed: [] });
    expect(formatDemoReport(r)).toMatch(/\n {2}lost {19}0\n/);
    const cause = {
      kind: 'device-reset-by-vmm',
      detail: 'in stop, after EIO, QEMU reset the source VF',
      errno: null,
      atUs: 10,
      upstream: 'qemu hw/vfio/migration.c: vfio_migration_set_state()',
    } as const;
    const lossy = {
      ...r,
      result: 'FAIL' as const,
      jobs: {
        ...r.jobs,
        lost: 3,
        losses: [5, 6].map((jobId) => ({ jobId, side: 'source' as const, cause })),
        unattributed: [9],
      },
    };
    const text = formatDemoReport(lossy);
    expect(text).toContain('  lost                   3 (every one below, with its cause or none)\n');
    expect(text).toContain(
      '    jobs 5, 6: device-reset-by-vmm (never told: they hang) — in stop, after EIO, QEMU reset the source VF\n' +
        '      as upstream: qemu hw/vfio/migration.c: vfio_migration_set_state()\n',
    );
    expect(text).toContain('    jobs 9: lost silently, no cause\n');
    expect(JSON.parse(JSON.stringify(lossy)).jobs.losses[0].cause.kind).toBe('device-reset-by-vmm');
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
        fc.constantFrom('v1' as const, 'v2' as const),
        (seed, jobs, precopy, iommu, protocol) => {
          const r = runDemo({ seed, jobs, precopy, iommu, protocol });
          expect(r.failures).toEqual([]);
          expect(r.jobs.verified).toBe(jobs + r.jobs.submittedDuringMigration + 4);
          expect(r.ram.check.mismatchedPages).toBe(0);
          expect(r.comparison.result).toBe('PASS');
          expect(r.otherProtocol.result).toBe('PASS');
          // Pre-copy's downtime is shorter once there is RAM worth moving early; for a guest that
          // touched a dozen pages the final dirty sync (GET_DIRTY_BITMAP over all of RAM, and the
          // pages written while pre-copy ran longer) can cost more than the copy it saves.
          const whole = precopy ? r.comparison.stoppedBytes : r.ram.stoppedBytes;
          if (whole >= 32 * 4096) expect(r.downtimeRatio).toBeLessThanOrEqual(1);
          expect(r.jobs.inFlightAtStop).toBeLessThanOrEqual(
            jobs + r.jobs.submittedDuringMigration - r.jobs.completedBeforeMigration,
          );
        },
      ),
      { numRuns: 12, seed: 42 },
    );
  });

  it('v2: deterministic, passes, walks the v2 states; its comparison run is the v1 demo of the same seed', () => {
    const a = runDemo({ seed: 7, jobs: 24, protocol: 'v2' });
    const b = runDemo({ seed: 7, jobs: 24, protocol: 'v2' });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.result).toBe('PASS');
    expect(a.protocol).toBe('v2');
    expect(a.states.source).toEqual(['RUNNING', 'PRE_COPY', 'STOP_COPY', 'STOP']);
    expect(a.states.destination).toEqual(['RUNNING', 'RESUMING', 'RUNNING']);
    expect(a.v2).toMatchObject({
      switchoverAck: true,
      stopCopySize: 176,
      precopyDeviceBytes: 40,
      stopCopyDeviceBytes: 136,
      destinationStartPath: ['RESUMING', 'STOP', 'RUNNING'],
    });
    expect(a.ram.converged).toBe(true);
    expect(a.ram.check.mismatchedPages).toBe(0);
    expect(a.jobs.verified).toBe(a.jobs.submitted);
    expect(a.virtualTimeUs.phases.map((p) => p.name)).toContain('cleanup');
    const v1 = runDemo({ seed: 7, jobs: 24, protocol: 'v1' });
    expect(v1.v2).toBeNull();
    expect(a.otherProtocol).toEqual({
      protocol: 'v1',
      result: 'PASS',
      downtimeUs: v1.virtualTimeUs.downtime,
      totalUs: v1.virtualTimeUs.total,
    });
    expect(v1.otherProtocol.downtimeUs).toBe(a.virtualTimeUs.downtime);
    const text = formatDemoReport(a);
    expect(text).toContain('v2 live migration');
    expect(text).toContain('RUNNING → PRE_COPY → STOP_COPY → STOP');
    expect(text).toContain('the kernel walks RESUMING → STOP → RUNNING');
    expect(text).toMatch(/\nPASS/);
  });

  it.each(['v1', 'v2'] as const)(
    'a %s trace is valid Chrome Trace JSON with phases, RAM rounds and states; tracing changes nothing',
    (protocol) => {
      const plain = runDemo({ seed: 2, jobs: 12, protocol });
      const sink = new MemoryTraceSink();
      const traced = runDemo({ seed: 2, jobs: 12, protocol, traceSink: sink });
      expect(JSON.stringify(traced)).toBe(JSON.stringify(plain)); // same report, same virtual times
      expect(formatDemoReport(traced)).toBe(formatDemoReport(plain));
      const trace = toChromeTrace(sink.events, sink.namedTracks(), { seed: 2 });
      validateChromeTrace(trace);
      expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
      const ev = trace.traceEvents;
      const slices = ev.filter((e) => e.ph === 'X' && e.cat === 'migration').map((e) => e.name);
      expect(slices).toEqual(plain.virtualTimeUs.phases.map((p) => p.name));
      const phaseUs = ev.filter((e) => e.ph === 'X' && e.cat === 'migration').map((e) => e.dur);
      expect(phaseUs).toEqual(plain.virtualTimeUs.phases.map((p) => p.us));
      expect(ev.filter((e) => e.ph === 'C' && e.name === 'RAM pages')).toHaveLength(plain.ram.rounds.length);
      const states = ev.filter((e) => e.cat === 'migration.state' && e.ph === 'i').map((e) => e.name);
      expect(states).toContain(protocol === 'v2' ? 'PRE_COPY' : 'pre-copy');
      expect(ev.some((e) => e.ph === 'X' && e.cat === 'qm.job')).toBe(true);
      expect(ev.some((e) => e.ph === 'i' && e.cat === 'qm.db')).toBe(true);
      expect(ev.some((e) => e.ph === 'i' && e.cat === 'qm.mb')).toBe(true);
      const threads = ev.filter((e) => e.name === 'thread_name').map((e) => e.args!.name);
      expect(threads).toEqual(expect.arrayContaining(['qemu', 'qm-hw', 'pf', 'vCPUs', 'vf0 driver']));
      // same run, same bytes
      const again = new MemoryTraceSink();
      runDemo({ seed: 2, jobs: 12, protocol, traceSink: again });
      expect(JSON.stringify(toChromeTrace(again.events, again.namedTracks()))).toBe(
        JSON.stringify(toChromeTrace(sink.events, sink.namedTracks())),
      );
    },
  );

  it('refuses a job count outside the guest driver buffers (EINVAL, no run)', () => {
    for (const jobs of [0, 33, 1.5])
      expect(errnoOf(() => runMigrationDemo({ seed: 1, jobs }))).toBe('EINVAL');
  });
});
