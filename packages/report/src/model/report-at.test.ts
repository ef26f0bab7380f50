import { fc, it as prop } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportInput } from '../__fixtures__/migration-run.js';
import { buildReportModel } from './build-report-model.js';
import { reportAt } from './report-at.js';
import type { ReportModel } from './report-model.js';

let model: ReportModel;
beforeAll(() => {
  model = buildReportModel(reportInput({ protocol: 'v2' }));
});

describe('reportAt: the model as it stood at a virtual time', () => {
  prop.prop([fc.nat()], { numRuns: 60 })(
    'holds nothing from after the cut, and knows no verdict yet',
    (n) => {
      const us = n % model.span.endUs;
      const m = reportAt(model, us);
      expect(m.at).toBe(us);
      for (const i of m.intervals) {
        expect(i.startUs).toBeLessThan(us);
        expect(i.endUs).toBeLessThanOrEqual(us);
      }
      for (const k of m.marks) expect(k.atUs).toBeLessThanOrEqual(us);
      for (const s of m.stream.sections) expect(s.atUs).toBeLessThanOrEqual(us);
      for (const r of m.ram?.rounds ?? []) expect(r.startUs + r.durationUs).toBeLessThanOrEqual(us);
      for (const j of m.jobs.spans) {
        expect(j.submittedUs).toBeLessThanOrEqual(us);
        if (j.completedUs === null) expect(j.fate).toBe('pending');
        else expect(j.completedUs).toBeLessThanOrEqual(us);
      }
      expect(m.runs).toEqual([]);
      expect(m.jobs.verified).toBe(0);
      if (m.downtime !== null) expect(m.downtime.endUs).toBeLessThanOrEqual(us);
    },
  );

  prop.prop([fc.nat(), fc.nat()], { numRuns: 60 })('only grows as time goes on', (a, b) => {
    const [t1, t2] = [a % model.span.endUs, b % model.span.endUs].sort((x, y) => x - y) as [number, number];
    const m1 = reportAt(model, t1);
    const m2 = reportAt(model, t2);
    expect(m2.intervals.length).toBeGreaterThanOrEqual(m1.intervals.length);
    expect(m2.marks.length).toBeGreaterThanOrEqual(m1.marks.length);
    expect(m2.jobs.spans.length).toBeGreaterThanOrEqual(m1.jobs.spans.length);
    expect(m2.jobs.completedOnSource + m2.jobs.completedOnDestination).toBeGreaterThanOrEqual(
      m1.jobs.completedOnSource + m1.jobs.completedOnDestination,
    );
    expect(m2.stream.sections.length).toBeGreaterThanOrEqual(m1.stream.sections.length);
  });

  it('at the run’s end it is the model itself; the input is not changed', () => {
    const before = JSON.stringify(model);
    expect(reportAt(model, model.span.endUs)).toBe(model);
    reportAt(model, Math.floor(model.span.endUs / 2));
    expect(JSON.stringify(model)).toBe(before);
  });

  it('just before the end every job but the last completions is done, and the counts are the tally’s', () => {
    const m = reportAt(model, model.span.endUs - 1);
    expect(m.jobs.submitted).toBe(model.jobs.submitted);
    expect(m.jobs.completedOnSource).toBe(model.jobs.completedOnSource);
    expect(m.jobs.completedOnDestination).toBeLessThanOrEqual(model.jobs.completedOnDestination);
  });
});
