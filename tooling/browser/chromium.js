// @ts-check
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** Debian's chromium (`apt-get install -y chromium`); .ci/run installs it when it is missing. */
export const CHROMIUM_PATH = process.env.VFIO_SIM_CHROMIUM ?? '/usr/bin/chromium';

/** Headless, no sandbox (root in a container), and nothing that reaches the network on its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why browser tests cannot run here, in words naming the missing binary; null when chromium is there.
 * In CI (`CI` set) a missing chromium is no reason to skip: CI must have it (.ci/run installs it), so
 * this throws instead and the test file fails, saying why.
 * @returns {string | null}
 */
export function chromiumMissing() {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return null;
  } catch {
    const why = `${CHROMIUM_PATH} is missing (Debian: apt-get install -y chromium; .ci/run installs it)`;
    if (process.env.CI) throw new Error(`${why}: CI must run the browser tests`);
    return `${why}: browser tests skipped`;
  }
}

/**
 * Launch chromium headless with a fresh profile (`--user-data-dir` in a new temporary directory,
 * removed on close) and return its context; `close()` ends the browser and removes the profile.
 * @param {import('playwright-core').BrowserContextOptions} [options]
 * @returns {Promise<{ context: import('playwright-core').BrowserContext; close: () => Promise<void> }>}
 */
export async function launchChromium(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'vfio-sim-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    ...options,
  });
  // Pages of a run that is still being computed on a loaded 2-core machine answer late: wait longer
  // than playwright's 30 s before calling it a failure.
  context.setDefaultTimeout(60_000);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Watch a page for console errors and uncaught exceptions.
 * @param {import('playwright-core').Page} page
 * @returns {string[]} filled as they happen
 */
export function collectPageErrors(page) {
  /** @type {string[]} */
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`exception: ${e.message}`));
  return errors;
}

/**
 * Pixels per unit of an Observable Plot chart's x axis, read as a reader reads it: from the positions
 * and values of its tick labels. `svgSelector` selects the chart's `<svg>`. A bar's on-screen width
 * divided by this is its length in the axis's unit.
 * @param {import('playwright-core').Page} page
 * @param {string} svgSelector
 * @returns {Promise<number>}
 */
export function plotPixelsPerUnit(page, svgSelector) {
  return page.evaluate((sel) => {
    const svg = document.querySelector(sel);
    if (svg === null) throw new Error(`no chart ${sel}`);
    const ticks = [...svg.querySelectorAll('g[aria-label="x-axis tick label"] text')].map((t) => {
      const r = t.getBoundingClientRect();
      return { x: r.left + r.width / 2, v: Number((t.textContent ?? '').replaceAll(',', '')) };
    });
    const a = ticks[0];
    const b = ticks[ticks.length - 1];
    if (a === undefined || b === undefined || a === b) throw new Error(`${sel}: fewer than two ticks`);
    return (b.x - a.x) / (b.v - a.v);
  }, svgSelector);
}
