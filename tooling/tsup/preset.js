// @ts-check
/**
 * The one tsup preset every package builds with: ESM, a bundled .d.ts, ES2022 for Node 20, and no
 * source maps — a tarball ships `dist/index.js` (unminified, one `// src/…` marker per source file) and
 * `dist/index.d.ts` (with the TSDoc), nothing else; tooling/README.md says why.
 * `entry` defaults to src/index.ts; a package passes its own entries when it has more.
 * @param {Partial<import('tsup').Options>} [overrides]
 * @returns {import('tsup').Options}
 */
export function preset(overrides = {}) {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: { compilerOptions: { customConditions: [] } },
    tsconfig: 'tsconfig.build.json',
    sourcemap: false,
    clean: true,
    treeshake: true,
    splitting: false,
    ...overrides,
  };
}
