// @ts-check
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The one tsup preset every package builds with: ESM, a bundled .d.ts, ES2022 for Node 20, and no
 * source maps — a tarball ships `dist/index.js` (unminified, one `// src/…` marker per source file) and
 * `dist/index.d.ts` (with the TSDoc), nothing else; tooling/README.md says why.
 *
 * A package whose `src/` has `*.browser.ts` files also gets `dist/index.browser.js`: the same entry
 * bundled for browsers, each `foo.browser.ts` taking the place of its sibling `foo.ts` (the package's
 * `exports` then names it under the `browser` condition).
 *
 * `entry` defaults to src/index.ts; a package passes its own entries when it has more.
 * @param {Partial<import('tsup').Options>} [overrides]
 * @returns {import('tsup').Options[]}
 */
export function preset(overrides = {}) {
  /** @type {import('tsup').Options} */
  const node = {
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: { compilerOptions: { customConditions: [] } },
    tsconfig: 'tsconfig.build.json',
    sourcemap: false,
    // The browser build writes index.browser.js into the same dist/, possibly while this one cleans.
    clean: [`!${BROWSER_ENTRY}.js`],
    treeshake: true,
    splitting: false,
    ...overrides,
  };
  if (!hasBrowserSwaps('src')) return [node];
  return [
    node,
    {
      ...node,
      entry: { [BROWSER_ENTRY]: 'src/index.ts' },
      target: 'es2022',
      platform: 'browser',
      dts: false,
      clean: false,
      esbuildPlugins: [browserSwap],
    },
  ];
}

/** The browser build's output name in dist/. */
const BROWSER_ENTRY = 'index.browser';

/** @param {string} dir */
function hasBrowserSwaps(dir) {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('.browser.ts'));
}

/**
 * esbuild plugin: a relative import of `./foo.js` resolves to `./foo.browser.ts` when that file exists.
 * @type {import('esbuild').Plugin}
 */
const browserSwap = {
  name: 'vfio-sim-browser-swap',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const base = resolve(args.resolveDir, args.path).replace(/\.[cm]?[jt]s$/, '');
      const swap = `${base}.browser.ts`;
      return existsSync(swap) ? { path: swap } : undefined;
    });
  },
};
