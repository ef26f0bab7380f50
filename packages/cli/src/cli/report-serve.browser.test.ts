/// <reference lib="dom" />
// The page.waitForFunction callbacks run in the browser: they see the DOM.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumMissing, collectPageErrors, launchChromium } from '@vfio-sim/browser-test';
import { afterAll, describe, expect, it } from 'vitest';

const missing = chromiumMissing();
if (missing !== null) console.warn(missing);
const HARNESS = join(import.meta.dirname, '../..');
const OUT = join(HARNESS, 'test-output');

/** `vfio-sim demo …` as a process of its own (its own process group, as a shell's foreground job). */
function startCli(args: readonly string[]): {
  child: ChildProcess;
  url: Promise<string>;
  stderr: () => string;
} {
  const child = spawn(
    process.execPath,
    ['--conditions=@vfio-sim/source', '--import', 'tsx', 'src/cli.ts', ...args],
    { cwd: HARNESS, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stdout?.resume();
  const url = new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /^live view: (\S+)/m.exec(stderr);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the CLI exited (${code}) before serving: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

describe.skipIf(missing !== null)(
  `vfio-sim demo --serve in chromium${missing !== null ? ` (${missing})` : ''}`,
  () => {
    let cli: ReturnType<typeof startCli> | undefined;
    afterAll(() => {
      if (cli?.child.exitCode === null && cli.child.pid !== undefined)
        process.kill(-cli.child.pid, 'SIGKILL');
    });

    it('the page shows the run’s progress, ends on PASS with the proof; Ctrl-C stops the server and the CLI exits 0', async () => {
      cli = startCli(['demo', '--serve', '--port', '0', '--speed', '20', '--jobs', '6']);
      const url = await cli.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const browser = await launchChromium({ viewport: { width: 1200, height: 900 } });
      try {
        const page = await browser.context.newPage();
        const errors = collectPageErrors(page);
        await page.goto(url);
        // progress: frames arrive, each at a later virtual time, before the verdict
        await page.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 2);
        await page.waitForFunction(() => document.body.dataset.result !== undefined);
        const end = await page.evaluate(() => ({ ...document.body.dataset }));
        expect(end.result).toBe('PASS');
        expect(Number(end.frames)).toBeGreaterThanOrEqual(2);
        expect(Number(end.at)).toBeGreaterThan(0);
        expect(await page.locator('.verdict .proof').textContent()).toMatch(
          /^every job completed exactly once/,
        );
        mkdirSync(OUT, { recursive: true });
        await page.screenshot({ path: join(OUT, 'demo-serve.png'), fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
      const child = cli.child;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      process.kill(-(child.pid as number), 'SIGINT');
      expect(await exited).toBe(0);
      expect(cli.stderr()).toMatch(/live view stopped\n$/);
    }, 120_000);
  },
);
