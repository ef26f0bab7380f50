import { errnoOf, MemoryTraceSink } from '@vfio-sim/platform';
import { migrate, Simulation } from '@vfio-sim/vmm';
import { describe, expect, it } from 'vitest';
import { migrationRun, reportInput } from '../__fixtures__/migration-run.js';
import { buildReportModel } from './build-report-model.js';
import type { ReportModel } from './report-model.js';
import { walkedStates } from './stream.js';

const models = new Map<string, ReportModel>();
/** The model of the fixture run (cached: building it migrates three times). */
function modelOf(protocol: 'v1' | 'v2'): ReportModel {
  const known = models.get(protocol);
  if (known !== undefined) return known;
  const m = buildReportModel(reportInput({ protocol }));
  models.set(protocol, m);
  return m;
}

describe('buildReportModel: a migration that passed', () => {
  it.each(['v1', 'v2'] as const)(
    '%s: the phases, the downtime and the RAM rounds are the report’s',
    (protocol) => {
      const input = reportInput({ protocol });
      const m = buildReportModel(input);
      const r = input.migration.migration!;
      expect(m).toMatchObject({ result: 'PASS', outcome: 'migrated', protocol, at: null, error: null });
      const phases = m.intervals.filter((i) => i.kind === 'phase');
      expect(phases.map((p) => [p.label, p.startUs, p.endUs])).toEqual(
        r.phases.filter((p) => p.durationUs > 0).map((p) => [p.name, p.startUs, p.startUs + p.durationUs]),
      );
      expect(m.downtime?.us).toBe(r.downtimeUs);
      expect(m.migration).toEqual({ startUs: r.phases[0]!.startUs, endUs: r.phases[0]!.startUs + r.totalUs });
      expect(m.ram?.rounds).toEqual(r.ram.rounds);
      expect(m.intervals.filter((i) => i.kind === 'ram-round')).toHaveLength(r.ram.rounds.length);
      // the VM: stopped on the source exactly in the downtime, running on the destination from its end
      const vm = (lane: string) =>
        m.intervals.filter((i) => i.lane === lane).map((i) => [i.label, i.startUs, i.endUs]);
      expect(vm('source · VM')).toEqual([
        ['running', 0, m.downtime!.startUs],
        ['stopped', m.downtime!.startUs, m.migration.endUs],
      ]);
      expect(vm('destination · VM')).toEqual([
        ['incoming', m.migration.startUs, m.downtime!.endUs],
        ['running', m.downtime!.endUs, m.span.endUs],
      ]);
    },
  );

  it.each(['v1', 'v2'] as const)(
    '%s: each device’s states over time are the states the report walked',
    (protocol) => {
      const input = reportInput({ protocol });
      const m = buildReportModel(input);
      const d = input.migration.migration!.devices[0]!;
      const lane = (side: string) =>
        m.intervals.filter((i) => i.kind === 'device-state' && i.lane === `${side} · ${d.source}`);
      // a state read that held for no virtual time draws no bar; the order is the walk's
      expect(walkedStates(lane('source').map((i) => ({ step: '', state: 0, name: i.label })))).toEqual(
        walkedStates(d.sourceStates).filter((s) => lane('source').some((i) => i.label === s)),
      );
      // v1 ends the migration in stop; v2's save_cleanup (STOP_COPY → STOP) is its last step, at the end
      expect(lane('source').at(-1)?.label).toBe(protocol === 'v1' ? 'stop' : 'STOP_COPY');
      expect(lane('destination').at(-1)).toMatchObject({
        label: protocol === 'v1' ? 'running' : 'RUNNING',
        endUs: m.span.endUs,
      });
      expect(m.lanes).toEqual(
        expect.arrayContaining(['source · VM', 'source · migration', `destination · ${d.destination}`]),
      );
      for (const i of m.intervals) {
        expect(m.lanes).toContain(i.lane);
        expect(i.endUs).toBeGreaterThan(i.startUs);
      }
    },
  );

  it.each(['v1', 'v2'] as const)('%s: every job’s life adds up to the proof’s tally', (protocol) => {
    const input = reportInput({ protocol });
    const m = buildReportModel(input);
    const t = input.migration.proof.jobs;
    const spans = m.jobs.spans;
    expect(spans).toHaveLength(t.submitted);
    expect(spans.filter((j) => j.fate === 'source')).toHaveLength(t.completedOnSource);
    expect(spans.filter((j) => j.fate === 'destination')).toHaveLength(t.completedOnDestination);
    expect(spans.filter((j) => j.submittedOn === 'destination')).toHaveLength(t.submittedOnDestination);
    expect(spans.filter((j) => j.inFlightAtStop)).toHaveLength(input.migration.inFlightAtStop!);
    expect(m.jobs.losses).toEqual([]);
    for (const j of spans)
      if (j.fate === 'destination') expect(j.completedUs).toBeGreaterThanOrEqual(m.downtime!.endUs);
  });

  it.each(['v1', 'v2'] as const)('%s: the stream’s sections add up to each device’s bytes', (protocol) => {
    const input = reportInput({ protocol });
    const m = buildReportModel(input);
    const r = input.migration.migration!;
    const sum = (k: 'deviceBytes' | 'sectionBytes') => m.stream.sections.reduce((n, s) => n + s[k], 0);
    expect(sum('deviceBytes')).toBe(r.deviceBytesSaved);
    expect(sum('sectionBytes')).toBe(r.streamBytes);
    expect(m.stream.sections.map((s) => s.index)).toEqual(m.stream.sections.map((_, i) => i + 1));
    expect(m.stream.devices[0]).toMatchObject({
      deviceBytesSaved: r.deviceBytesSaved,
      deviceBytesLoaded: r.deviceBytesLoaded,
    });
  });

  it('the downtime comparison: each run’s downtime phases add up to its downtime', () => {
    const m = modelOf('v1');
    expect(m.runs.map((r) => [r.protocol, r.ramMode, r.thisRun])).toEqual([
      ['v1', 'precopy', true],
      ['v1', 'stop-and-copy', false],
      ['v2', 'precopy', false],
    ]);
    for (const r of m.runs) {
      expect(r.downtimeUs).toBeGreaterThan(0);
      expect(r.downtimePhases.reduce((n, p) => n + p.us, 0)).toBe(r.downtimeUs);
    }
    expect(m.runs[1]!.downtimeUs).toBeGreaterThan(m.runs[0]!.downtimeUs!);
  });

  it('embeds the run’s Perfetto trace, and is deterministic: the same seed gives the same model', () => {
    const m = modelOf('v2');
    expect(m.trace.traceEvents.some((e) => e.cat === 'migration.state')).toBe(true);
    expect(m.trace.otherData).toMatchObject({ seed: 7 });
    expect(JSON.stringify(buildReportModel(reportInput({ protocol: 'v2' })))).toBe(JSON.stringify(m));
  });

  it('v2: the destination’s switch-over approval is a mark on its device lane', () => {
    const m = modelOf('v2');
    const approval = m.marks.filter((k) => k.kind === 'switchover');
    expect(approval).toHaveLength(1);
    expect(approval[0]!.lane).toBe('destination · 0000:75:00.1');
    expect(approval[0]!.atUs).toBeLessThan(m.downtime!.startUs);
  });
});

describe('buildReportModel: a migration a fault aborted', () => {
  const aborted = () => {
    const input = reportInput({
      protocol: 'v1',
      faults: [{ fault: { kind: 'mb-error' }, side: 'source', at: 'stop' }],
    });
    return { input, m: buildReportModel(input) };
  };

  it('shows the failing phase, the fault, where it took effect and the errno; no downtime, no RAM', () => {
    const { input, m } = aborted();
    expect(m).toMatchObject({ result: 'FAIL', outcome: 'aborted', downtime: null, ram: null });
    expect(m.error).toMatchObject({ errno: 'EIO', phase: 'stop' });
    const hit = m.marks.find((k) => k.kind === 'fault-hit');
    expect(hit).toMatchObject({ lane: 'source · faults', label: 'hit mb-error' });
    expect(m.error!.atUs).toBe(hit!.atUs);
    expect(m.marks.find((k) => k.kind === 'error')).toMatchObject({ label: 'EIO', atUs: hit!.atUs });
    const failed = m.intervals.find((i) => i.category === 'failed phase');
    expect(failed).toMatchObject({ label: 'stop (EIO)', lane: 'source · migration' });
    expect(failed!.startUs).toBe(m.intervals.filter((i) => i.kind === 'phase').at(-2)!.endUs);
    const fault = input.migration.faults[0]!;
    expect(m.intervals.find((i) => i.kind === 'fault')).toMatchObject({
      startUs: fault.injectedUs,
      endUs: fault.clearedUs,
    });
    // the guest stopped, then ran on at the source; the destination never ran it
    expect(m.intervals.filter((i) => i.lane === 'source · VM').map((i) => i.label)).toEqual([
      'running',
      'stopped',
      'running',
    ]);
    expect(m.intervals.filter((i) => i.lane === 'destination · VM').map((i) => i.label)).toEqual([
      'incoming',
    ]);
    expect(m.runs[0]).toMatchObject({ thisRun: true, downtimeUs: null, result: 'FAIL' });
    expect(m.jobs.spans.every((j) => j.fate === 'source')).toBe(true);
    expect(m.proof.statement).toMatch(/^migration aborted in stop: EIO/);
  });
});

describe('buildReportModel: a loss and its cause', () => {
  it('a job the proof says was lost is drawn lost, with its submission and the stop in words', () => {
    const { report, sink } = migrationRun({ protocol: 'v1' });
    const victim = report.proof.jobs.submitted - 1;
    // The guest's completion of its last job is dropped from the trace and from the tally: it was lost.
    const events = sink.events.filter((e) => !(e.name === 'complete' && e.args?.jobId === victim));
    const lost = {
      ...report,
      result: 'FAIL' as const,
      proof: {
        ...report.proof,
        jobs: { ...report.proof.jobs, lost: [victim], verified: report.proof.jobs.verified - 1 },
      },
    };
    const m = buildReportModel({
      title: 't',
      migration: lost,
      trace: { events, tracks: sink.namedTracks() },
    });
    expect(m.jobs.spans.find((j) => j.jobId === victim)).toMatchObject({ fate: 'lost', completedUs: null });
    expect(m.jobs.losses).toEqual([
      {
        jobId: victim,
        kind: 'lost',
        cause: expect.stringMatching(/^submitted at \d+ µs on the destination; never completed$/),
      },
    ]);
  });
});

describe('buildReportModel: input that is not one run', () => {
  it('a trace of another run (no track of the source host) is EINVAL, and the input is left as it was', () => {
    const input = reportInput({ protocol: 'v1' });
    const other = new MemoryTraceSink();
    other.track('elsewhere', 'qemu');
    const before = JSON.stringify(input);
    expect(
      errnoOf(() => buildReportModel({ ...input, trace: { events: [], tracks: other.namedTracks() } })),
    ).toBe('EINVAL');
    expect(JSON.stringify(input)).toBe(before);
  });

  it('two guests in the trace and none named is EINVAL; naming the migrated one works; an unknown name is EINVAL', () => {
    const sink = new MemoryTraceSink();
    const sim = new Simulation({ seed: 3, traceSink: sink });
    const a = sim.createHost({ name: 'a' });
    const b = sim.createHost({ name: 'b' });
    const g = sim.createGuest({ name: 'g1', host: a });
    sim.createGuest({ name: 'g2', host: b });
    g.startWorkload({ jobs: 2, periodUs: 0 });
    const report = migrate(g, { to: b });
    const input = {
      title: 't',
      migration: report,
      trace: { events: sink.events, tracks: sink.namedTracks() },
    };
    expect(errnoOf(() => buildReportModel(input))).toBe('EINVAL');
    expect(buildReportModel({ ...input, guest: 'g1' }).jobs.spans).toHaveLength(report.proof.jobs.submitted);
    expect(errnoOf(() => buildReportModel({ ...input, guest: 'nobody' }))).toBe('EINVAL');
  });
});
