/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page.evaluate callbacks run in the browser: they see the DOM.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  chromiumMissing,
  collectPageErrors,
  launchChromium,
  plotPixelsPerUnit,
} from '@vfio-sim/browser-test';
import type { ReportView } from '@vfio-sim/report';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './__fixtures__/run-cli.js';

const missing = chromiumMissing();
if (missing !== null) console.warn(missing);
const VM = fileURLToPath(new URL('../../../../scenarios/vm', import.meta.url));
const OUT = fileURLToPath(new URL('../../test-output', import.meta.url));

describe.skipIf(missing !== null)(
  `vfio-sim run --report in chromium${missing !== null ? ` (${missing})` : ''}`,
  () => {
    let file: string;
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    beforeAll(async () => {
      file = join(mkdtempSync(join(tmpdir(), 'vfio-sim-run-report-')), 'vm.html');
      const r = await runCli(['run', VM, '--report', file]);
      expect(r.exitCode).toBe(0);
      mkdirSync(OUT, { recursive: true });
      browser = await launchChromium({ viewport: { width: 1200, height: 900 } });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('each migration’s marks match its JSON model; each downtime bar is its downtime on the axis; no console error', async () => {
      const page = await browser.context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(pathToFileURL(file).href);
      const articles = await page.evaluate(() =>
        [...document.querySelectorAll('article.migration')].map((a) => a.id),
      );
      expect(articles.length).toBeGreaterThanOrEqual(7);
      let measured = 0;
      for (const [i, id] of articles.entries()) {
        expect(id).toBe(`m${i + 1}`);
        const seen = await page.evaluate((at) => {
          const article = document.getElementById(at) as HTMLElement;
          const all = (sel: string) => [...article.querySelectorAll(sel)];
          const titled = (sel: string, prefix: string) =>
            all(sel).filter((r) => r.querySelector('title')?.textContent?.startsWith(prefix)).length;
          return {
            model: JSON.parse(document.getElementById(`vfio-sim-report-${at.slice(1)}`)?.textContent ?? '{}'),
            timelineBars: all('g.timeline-bars rect').length,
            marks: all('g.timeline-marks path').length,
            sentBars: titled('g.ram-rounds rect', 'sent:'),
            expectedDots: all('g.ram-expected circle').length,
            streamPieces: all('g.stream-sections rect').length,
            jobBars: all('g.job-bars rect').length,
            verdict: article.querySelector('.verdict')?.getAttribute('data-result'),
          };
        }, id);
        const m = seen.model as ReportView;
        expect(seen.timelineBars, id).toBe(m.intervals.length);
        expect(seen.marks, id).toBe(m.marks.length);
        expect(seen.sentBars, id).toBe(m.ram?.mode === 'precopy' ? m.ram.rounds.length : 0);
        expect(seen.expectedDots, id).toBe(
          m.ram?.mode === 'precopy' ? m.ram.rounds.filter((r) => !r.stopped).length : 0,
        );
        expect(seen.streamPieces, id).toBe(2 * m.stream.sections.length);
        expect(seen.jobBars, id).toBe(m.jobs.spans.length);
        expect(seen.verdict, id).toBe(m.result);
        const mine = m.runs.find((r) => r.thisRun);
        if (m.downtime === null || mine?.downtimeUs == null) continue;
        const perUs = await plotPixelsPerUnit(page, `#${id}-downtime svg[class^="plot-"]`);
        const width = await page.evaluate(
          ([at, label]) =>
            [...document.querySelectorAll(`#${at}-downtime g.downtime-bars rect`)]
              .filter((r) => (r.querySelector('title')?.textContent ?? '').split(' · ')[0] === label)
              .reduce((w, r) => w + r.getBoundingClientRect().width, 0),
          [id, mine.label] as const,
        );
        expect(width / perUs, id).toBeCloseTo(mine.downtimeUs, -0.5); // ±1.6 µs
        measured++;
      }
      expect(measured).toBeGreaterThanOrEqual(5);
      await page.screenshot({ path: join(OUT, 'run-report.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);

    it('each scenario’s download button gives that scenario’s trace', async () => {
      const page = await browser.context.newPage();
      await page.goto(pathToFileURL(file).href);
      const ids = await page.evaluate(() =>
        [...document.querySelectorAll('button[data-trace-download]')].map(
          (b) => (b as HTMLElement).dataset.traceDownload as string,
        ),
      );
      expect(ids.length).toBeGreaterThanOrEqual(5);
      for (const id of ids) {
        const embedded = await page.evaluate((t) => document.getElementById(t)?.textContent ?? '', id);
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.click(`button[data-trace-download="${id}"]`),
        ]);
        expect(download.suggestedFilename()).toBe(`${id}.json`);
        expect(readFileSync((await download.path()) as string, 'utf8')).toBe(embedded);
      }
      await page.close();
    });
  },
);
