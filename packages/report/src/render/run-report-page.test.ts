import { errnoOf } from '@vfio-sim/platform';
import { parseHTML } from 'linkedom';
import { beforeAll, describe, expect, it } from 'vitest';
import { runReportInput } from '../__fixtures__/migration-run.js';
import type { ReportView } from '../model/report-model.js';
import { type RunReportInput, renderRunReportHtml } from './run-report-page.js';

let input: RunReportInput;
let html: string;
beforeAll(() => {
  input = runReportInput();
  html = renderRunReportHtml(input);
});

const dom = (page: string) => parseHTML(page).document;
const models = (i: RunReportInput) => i.scenarios.flatMap((s) => s.migrations.map((m) => m.model));

describe('renderRunReportHtml', () => {
  it('is deterministic and self-contained', () => {
    expect(renderRunReportHtml(input)).toBe(html);
    expect(renderRunReportHtml(runReportInput())).toBe(html);
    const d = dom(html);
    expect(d.querySelectorAll('link, img, iframe, [src]')).toHaveLength(0);
    expect(new Set([...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]))).toEqual(
      new Set(['https://ui.perfetto.dev']),
    );
  });

  it('has one article per migration, in order, each model embedded as JSON without its trace', () => {
    const d = dom(html);
    const articles = [...d.querySelectorAll('article.migration')];
    expect(articles.map((a) => a.id)).toEqual(['m1', 'm2', 'm3']);
    for (const [i, model] of models(input).entries()) {
      const { trace: _t, ...view } = model as ReportView & { trace?: unknown };
      expect(JSON.parse(d.getElementById(`vfio-sim-report-${i + 1}`)?.textContent ?? '')).toEqual(view);
      expect(d.getElementById(`m${i + 1}`)?.querySelector('h3')?.textContent).toBe(
        input.scenarios.flatMap((s) => s.migrations)[i]?.heading,
      );
    }
  });

  it('embeds each scenario’s trace once, with its own pair of buttons', () => {
    const d = dom(html);
    for (const [i, s] of input.scenarios.entries()) {
      const id = `vfio-sim-trace-${i + 1}`;
      expect(JSON.parse(d.getElementById(id)?.textContent ?? '')).toEqual(s.trace);
      expect(
        d.querySelectorAll(`button[data-trace-download="${id}"], button[data-trace-open="${id}"]`),
      ).toHaveLength(2);
    }
    expect(d.querySelectorAll('script[type="application/json"]')).toHaveLength(3 + 2);
  });

  it('draws each migration’s charts from its own model: marks per migration', () => {
    const d = dom(html);
    for (const [i, m] of models(input).entries()) {
      const article = d.getElementById(`m${i + 1}`);
      const count = (sel: string) => article?.querySelectorAll(sel).length;
      expect(count('g.timeline-bars rect')).toBe(m.intervals.length);
      expect(count('g.ram-rounds rect')).toBe(5 * (m.ram?.rounds.length ?? 0));
      expect(count('g.job-bars rect')).toBe(m.jobs.spans.length);
      expect(count('g.downtime-bars rect')).toBe(m.runs.reduce((n, r) => n + r.downtimePhases.length, 0));
      expect(article?.querySelector('.verdict')?.getAttribute('data-result')).toBe(m.result);
      expect(article?.querySelector('[data-section="ram"]')?.id).toBe(`m${i + 1}-ram`);
    }
    expect(models(input).map((m) => m.outcome)).toEqual(['migrated', 'migrated', 'aborted']);
  });

  it('lists every migration in the table at the top, linked to its article', () => {
    const d = dom(html);
    const rows = [...d.querySelectorAll('table.migrations tbody tr')];
    expect(rows.map((r) => r.querySelector('td:nth-child(2) a')?.getAttribute('href'))).toEqual([
      '#m1',
      '#m2',
      '#m3',
    ]);
    expect(rows.map((r) => r.querySelector('td:nth-child(4)')?.textContent)).toEqual(
      models(input).map((m) => m.result),
    );
  });

  it('refuses a model of another format version (EINVAL)', () => {
    const [first, ...rest] = input.scenarios;
    const migration = first?.migrations[0];
    const other = { ...migration?.model, format: 'vfio-sim-report/0' } as unknown as ReportView;
    const bad = {
      ...input,
      scenarios: [{ ...first, migrations: [{ heading: 'x', model: other }] }, ...rest],
    };
    expect(errnoOf(() => renderRunReportHtml(bad as RunReportInput))).toBe('EINVAL');
  });
});
