/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page.evaluate callbacks run in the browser: they see the DOM.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumMissing, collectPageErrors, launchChromium } from '@vfio-sim/browser-test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportInput } from '../__fixtures__/migration-run.js';
import { buildReportModel } from '../model/build-report-model.js';
import type { ReportModel } from '../model/report-model.js';
import { startLiveServer } from './live-server.js';
import type { LiveServer } from './live-server-types.js';

const missing = chromiumMissing();
if (missing !== null) console.warn(missing);
const OUT = join(import.meta.dirname, '../../test-output');

describe.skipIf(missing !== null)(
  `the live view in chromium${missing !== null ? ` (${missing})` : ''}`,
  () => {
    let model: ReportModel;
    let server: LiveServer;
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    beforeAll(async () => {
      model = buildReportModel(reportInput({ protocol: 'v2' }));
      server = await startLiveServer({ title: 'a run, not yet computed', speed: 5 });
      browser = await launchChromium({ viewport: { width: 1200, height: 900 } });
      mkdirSync(OUT, { recursive: true });
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('waits for the run, shows progress as it plays, speeds up when asked, and ends on PASS with the proof', async () => {
      const page = await browser.context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(server.url);
      await page.waitForFunction(
        () => document.getElementById('status')?.textContent === 'the simulation is running…',
      );
      server.publish(model);
      // progress: frames arrive, the verdict says RUNNING with the virtual time
      await page.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 2);
      expect(await page.locator('.verdict').getAttribute('data-result')).toBe('RUNNING');
      const at = Number(await page.evaluate(() => document.body.dataset.at));
      expect(at).toBeGreaterThanOrEqual(0);
      expect(await page.locator('#verdict').textContent()).toMatch(/t = \d+ µs of \d+ µs/);
      // faster: the page reconnects from where it was and plays on
      await page.selectOption('#speed', '50');
      await page.waitForFunction(() => document.body.dataset.result !== undefined);
      expect(await page.evaluate(() => document.body.dataset.result)).toBe('PASS');
      expect(await page.locator('.verdict').getAttribute('data-result')).toBe('PASS');
      expect(await page.locator('.verdict .proof').textContent()).toBe(model.proof.statement);
      expect(await page.locator('h1').textContent()).toBe(model.title);
      expect(await page.title()).toBe(model.title);
      expect(await page.locator('#timeline g.timeline-bars rect').count()).toBe(model.intervals.length);
      expect(await page.locator('#trace-download').isEnabled()).toBe(true);
      await page.screenshot({ path: join(OUT, 'live.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    });
  },
);
