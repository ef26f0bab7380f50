/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page.evaluate callbacks run in the browser: they see the DOM.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumMissing, collectPageErrors, launchChromium } from '@vfio-sim/browser-test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelsPerUs } from '../__fixtures__/chart-axis.js';
import { runReportInput } from '../__fixtures__/migration-run.js';
import type { ReportView } from '../model/report-model.js';
import { type RunReportInput, renderRunReportHtml } from './run-report-page.js';

const missing = chromiumMissing();
if (missing !== null) console.warn(missing);
const OUT = join(import.meta.dirname, '../../test-output');

describe.skipIf(missing !== null)(
  `a run's report (several migrations) in chromium${missing !== null ? ` (${missing})` : ''}`,
  () => {
    let input: RunReportInput;
    let file: string;
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    beforeAll(async () => {
      input = runReportInput();
      file = join(mkdtempSync(join(tmpdir(), 'vfio-sim-run-report-')), 'run.html');
      writeFileSync(file, renderRunReportHtml(input));
      mkdirSync(OUT, { recursive: true });
      browser = await launchChromium({ viewport: { width: 1200, height: 900 } });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('each migration’s marks match its embedded model; the downtime bars measure its downtime; no console error', async () => {
      const page = await browser.context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(pathToFileURL(file).href);
      const n = input.scenarios.reduce((k, s) => k + s.migrations.length, 0);
      for (let i = 1; i <= n; i++) {
        const seen = await page.evaluate((id) => {
          const article = document.getElementById(id) as HTMLElement;
          const all = (sel: string) => [...article.querySelectorAll(sel)];
          const titled = (sel: string, prefix: string) =>
            all(sel).filter((r) => r.querySelector('title')?.textContent?.startsWith(prefix)).length;
          return {
            model: JSON.parse(document.getElementById(`vfio-sim-report-${id.slice(1)}`)?.textContent ?? '{}'),
            timelineBars: all('g.timeline-bars rect').length,
            marks: all('g.timeline-marks path').length,
            sentBars: titled('g.ram-rounds rect', 'sent:'),
            expectedDots: all('g.ram-expected circle').length,
            jobBars: all('g.job-bars rect').length,
            verdict: article.querySelector('.verdict')?.getAttribute('data-result'),
          };
        }, `m${i}`);
        const m = seen.model as ReportView;
        expect(seen.timelineBars).toBe(m.intervals.length);
        expect(seen.marks).toBe(m.marks.length);
        expect(seen.sentBars).toBe(m.ram?.rounds.length ?? 0);
        expect(seen.expectedDots).toBe(m.ram?.rounds.filter((r) => !r.stopped).length ?? 0);
        expect(seen.jobBars).toBe(m.jobs.submitted);
        expect(seen.verdict).toBe(m.result);
        if (m.downtime === null) continue;
        const mine = m.runs.find((r) => r.thisRun);
        const perUs = await pixelsPerUs(page, `#m${i}-downtime svg[class^="plot-"]`);
        const width = await page.evaluate(
          ([id, label]) =>
            [...document.querySelectorAll(`#${id}-downtime g.downtime-bars rect`)]
              .filter((r) => (r.querySelector('title')?.textContent ?? '').split(' · ')[0] === label)
              .reduce((w, r) => w + r.getBoundingClientRect().width, 0),
          [`m${i}`, mine?.label ?? ''] as const,
        );
        expect(width).toBeGreaterThan(0);
        expect(width / perUs).toBeCloseTo(mine?.downtimeUs ?? -1, -0.5);
      }
      await page.screenshot({ path: join(OUT, 'run-report.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    });

    it('each scenario’s download button gives that scenario’s trace', async () => {
      const page = await browser.context.newPage();
      await page.goto(pathToFileURL(file).href);
      for (const [i, s] of input.scenarios.entries()) {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.click(`button[data-trace-download="vfio-sim-trace-${i + 1}"]`),
        ]);
        expect(download.suggestedFilename()).toBe(`vfio-sim-trace-${i + 1}.json`);
        const saved = JSON.parse(readFileSync((await download.path()) as string, 'utf8'));
        expect(saved.traceEvents).toHaveLength(s.trace.traceEvents.length);
      }
      await page.close();
    });
  },
);
