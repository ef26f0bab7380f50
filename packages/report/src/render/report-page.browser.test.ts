/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page.evaluate callbacks run in the browser: they see the DOM.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  chromiumMissing,
  collectPageErrors,
  launchChromium,
  plotPixelsPerUnit as pixelsPerUs,
} from '@vfio-sim/browser-test';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportInput } from '../__fixtures__/migration-run.js';
import { buildReportModel } from '../model/build-report-model.js';
import type { ReportModel } from '../model/report-model.js';
import { renderReportHtml } from './report-page.js';

const missing = chromiumMissing();
if (missing !== null) console.warn(missing);
/** Screenshots and the PDF go here (git-ignored). */
const OUT = join(import.meta.dirname, '../../test-output');

describe.skipIf(missing !== null)(
  `the HTML report in chromium${missing !== null ? ` (${missing})` : ''}`,
  () => {
    let model: ReportModel;
    let file: string;
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    beforeAll(async () => {
      model = buildReportModel(reportInput({ protocol: 'v1' }));
      const dir = mkdtempSync(join(tmpdir(), 'vfio-sim-report-'));
      file = join(dir, 'report.html');
      writeFileSync(file, renderReportHtml(model));
      mkdirSync(OUT, { recursive: true });
      browser = await launchChromium({ viewport: { width: 1200, height: 900 } });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('loads without a console error; its marks match the model; a screenshot and a PDF are written', async () => {
      const page = await browser.context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(pathToFileURL(file).href);
      const counts = await page.evaluate(() => {
        const n = (sel: string) => document.querySelectorAll(sel).length;
        const titled = (sel: string, prefix: string) =>
          [...document.querySelectorAll(sel)].filter((r) =>
            r.querySelector('title')?.textContent?.startsWith(prefix),
          ).length;
        const data = JSON.parse(document.getElementById('vfio-sim-report')?.textContent ?? '{}');
        return {
          data,
          timelineBars: n('#timeline g.timeline-bars rect'),
          marks: n('#timeline g.timeline-marks path'),
          sentBars: titled('#ram g.ram-rounds rect', 'sent:'),
          leftBars: titled('#ram g.ram-rounds rect', 'left:'),
          expectedDots: n('#ram g.ram-expected circle'),
          streamData: n('#stream g.stream-sections rect') / 2,
          jobBars: n('#jobs g.job-bars rect'),
          inFlight: [...document.querySelectorAll('#jobs g.job-bars rect')].filter(
            (r) => r.getAttribute('stroke') === 'currentColor',
          ).length,
          verdict: document.querySelector('.verdict')?.getAttribute('data-result'),
        };
      });
      const m = counts.data as ReportModel;
      expect(m.title).toBe(model.title);
      expect(counts.timelineBars).toBe(m.intervals.length);
      expect(counts.marks).toBe(m.marks.length);
      expect(counts.sentBars).toBe(m.ram!.rounds.length);
      expect(counts.leftBars).toBe(m.ram!.rounds.length);
      expect(counts.expectedDots).toBe(m.ram!.rounds.filter((r) => !r.stopped).length);
      expect(counts.streamData).toBe(m.stream.sections.length);
      expect(counts.jobBars).toBe(m.jobs.submitted);
      expect(counts.inFlight).toBe(m.jobs.inFlightAtStop);
      expect(counts.verdict).toBe('PASS');
      await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('#trace-open').isVisible()).toBe(false);
      await page.pdf({ path: join(OUT, 'report.pdf'), format: 'A4', printBackground: true });
      expect(errors).toEqual([]);
      await page.close();
    });

    it('each run’s downtime bar is its downtime on the chart’s axis, and so is the timeline’s downtime window', async () => {
      const page = await browser.context.newPage();
      await page.goto(pathToFileURL(file).href);
      const perUs = await pixelsPerUs(page, '#downtime svg[class^="plot-"]');
      const widths = await page.evaluate(() => {
        const byRun = new Map<string, number>();
        for (const r of document.querySelectorAll('#downtime g.downtime-bars rect')) {
          const run = (r.querySelector('title')?.textContent ?? '').split(' · ')[0] ?? '';
          byRun.set(run, (byRun.get(run) ?? 0) + r.getBoundingClientRect().width);
        }
        return Object.fromEntries(byRun);
      });
      for (const run of model.runs) expect(widths[run.label]! / perUs).toBeCloseTo(run.downtimeUs!, -0.5); // ±1.6 µs
      const timelinePerUs = await pixelsPerUs(page, '#timeline svg[class^="plot-"]');
      const windowPx = await page.evaluate(
        () => document.querySelector('#timeline g.downtime-window rect')?.getBoundingClientRect().width ?? 0,
      );
      expect(windowPx / timelinePerUs).toBeCloseTo(model.downtime!.us, -0.5);
      await page.close();
    });

    it('reads in dark mode (prefers-color-scheme) with a dark page behind the charts', async () => {
      const page = await browser.context.newPage();
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.goto(pathToFileURL(file).href);
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(bg).toBe('rgb(13, 17, 23)');
      await page.screenshot({ path: join(OUT, 'report-dark.png'), fullPage: true });
      await page.close();
    });

    it('the trace buttons: download gives the embedded trace; Perfetto gets it by postMessage (a stand-in answers)', async () => {
      const page = await browser.context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(pathToFileURL(file).href);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#trace-download')]);
      const saved = JSON.parse(readFileSync((await download.path()) as string, 'utf8'));
      expect(saved.traceEvents).toHaveLength(model.trace.traceEvents.length);
      // No network: ui.perfetto.dev is a local stand-in that answers PING and records what it is sent.
      await browser.context.route('https://ui.perfetto.dev/**', (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<script>addEventListener('message', (e) => {
          if (e.data === 'PING') e.source.postMessage('PONG', '*');
          else if (e.data && e.data.perfetto) document.title = 'trace ' + e.data.perfetto.buffer.byteLength + ' ' + e.data.perfetto.fileName;
        });</script>`,
        }),
      );
      const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#trace-open')]);
      await popup.waitForFunction(() => document.title.startsWith('trace '));
      const bytes = Buffer.byteLength(JSON.stringify(model.trace));
      expect(await popup.title()).toBe(`trace ${bytes} vfio-sim-trace.json`);
      expect(errors).toEqual([]);
      await page.close();
    });
  },
);
