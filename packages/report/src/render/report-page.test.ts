import { errnoOf } from '@vfio-sim/platform';
import { parseHTML } from 'linkedom';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportInput } from '../__fixtures__/migration-run.js';
import { buildReportModel } from '../model/build-report-model.js';
import type { ReportModel } from '../model/report-model.js';
import { renderReportHtml } from './report-page.js';

let model: ReportModel;
let html: string;
beforeAll(() => {
  model = buildReportModel(reportInput({ protocol: 'v1' }));
  html = renderReportHtml(model);
});

/** The page parsed, as a browser would see its elements (linkedom). */
const dom = (page: string) => parseHTML(page).document;

describe('renderReportHtml', () => {
  it('is deterministic: the same model gives the same page, byte for byte, render after render', () => {
    expect(renderReportHtml(model)).toBe(html);
    expect(renderReportHtml(buildReportModel(reportInput({ protocol: 'v1' })))).toBe(html);
  });

  it('is self-contained: no external script, stylesheet, image or font; the only URL is Perfetto’s, in the script', () => {
    const d = dom(html);
    expect(d.querySelectorAll('link, img, iframe, [src]')).toHaveLength(0);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['https://ui.perfetto.dev']));
    expect(d.querySelectorAll('style').length).toBeGreaterThan(0);
    expect(html).toMatch(/@media \(prefers-color-scheme: dark\)/);
    expect(html).toMatch(/@media print/);
  });

  it('embeds the model (without the trace) and the trace as JSON that reads back unchanged', () => {
    const d = dom(html);
    const { trace, ...data } = model;
    expect(JSON.parse(d.getElementById('vfio-sim-report')?.textContent ?? '')).toEqual(data);
    expect(JSON.parse(d.getElementById('vfio-sim-trace')?.textContent ?? '')).toEqual(trace);
  });

  it('draws one mark per item of the model: timeline bars, RAM bars, stream pieces, job bars, downtime pieces', () => {
    const d = dom(html);
    const count = (sel: string) => d.querySelectorAll(sel).length;
    expect(count('g.timeline-bars rect')).toBe(model.intervals.length);
    expect(count('g.ram-rounds rect')).toBe(5 * (model.ram?.rounds.length ?? 0));
    expect(count('g.stream-sections rect')).toBe(2 * model.stream.sections.length);
    expect(count('g.job-bars rect')).toBe(model.jobs.spans.length);
    expect(count('g.downtime-bars rect')).toBe(model.runs.reduce((n, r) => n + r.downtimePhases.length, 0));
    expect(count('g.downtime-window rect')).toBe(2); // the timeline's and the jobs'
    expect(d.querySelector('.verdict')?.getAttribute('data-result')).toBe('PASS');
  });

  it('escapes what it is given: a title with markup stays text, and cannot end the data script', () => {
    const evil = '</script><script>alert(1)</script><b>x</b>';
    const page = renderReportHtml({ ...model, title: evil, description: [evil] });
    const d = dom(page);
    expect(d.querySelector('h1')?.textContent).toBe(evil);
    expect(d.querySelectorAll('script')).toHaveLength(3);
    expect(JSON.parse(d.getElementById('vfio-sim-report')?.textContent ?? '').title).toBe(evil);
  });

  it('refuses a model of another format version (EINVAL)', () => {
    const other = { ...model, format: 'vfio-sim-report/0' } as unknown as ReportModel;
    expect(errnoOf(() => renderReportHtml(other))).toBe('EINVAL');
  });

  it('an aborted migration shows FAIL, the errno and the faults section', () => {
    const aborted = buildReportModel(
      reportInput({ protocol: 'v2', faults: [{ fault: { kind: 'mb-error' }, at: 'stop' }] }),
    );
    const d = dom(renderReportHtml(aborted));
    expect(d.querySelector('.verdict')?.getAttribute('data-result')).toBe('FAIL');
    expect(d.getElementById('faults')?.textContent).toMatch(/EIO/);
    expect(d.querySelectorAll('g.timeline-marks path').length).toBe(aborted.marks.length);
  });
});
