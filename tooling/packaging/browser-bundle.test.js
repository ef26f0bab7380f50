// @ts-check
import { describe, expect, it } from 'vitest';
import { bundleForBrowser, nodeGlobalMarker, nodeGlobalsIn } from './browser-bundle.js';
import { publishedPackages } from './workspace.js';

/** A package with a `bin` is a command-line program: Node only, not a library for a browser. */
const isProgram = (/** @type {{ manifest: Record<string, any> }} */ p) => p.manifest.bin !== undefined;

describe.each(publishedPackages().filter((p) => !isProgram(p)))(
  '$name bundles for a browser',
  ({ name, dir }) => {
    it('with esbuild (platform browser): no node: built-in, no Node-only global, its dist and its dependencies inlined', async () => {
      const r = await bundleForBrowser(name, dir);
      expect(r.errors).toEqual([]);
      expect(r.nodeImports).toEqual([]);
      expect(r.nodeGlobals).toEqual([]);
      const own = name.replace('@vfio-sim/', '');
      expect(r.inputs.some((f) => f.includes(`${own}/dist/`))).toBe(true);
    });
  },
);

describe.each(publishedPackages().filter(isProgram))('$name is a Node program', ({ manifest }) => {
  it('claims no browser build and needs Node ≥ 20.19', () => {
    expect(JSON.stringify(manifest.exports)).not.toContain('"browser"');
    expect(manifest.browser).toBeUndefined();
    expect(manifest.engines?.node).toBe('>=20.19');
  });
});

describe('nodeGlobalsIn', () => {
  const B = nodeGlobalMarker('Buffer');
  const P = nodeGlobalMarker('process');
  it('finds a Node global used unguarded, and lets a use guarded by its own typeof test pass', () => {
    expect(nodeGlobalsIn(`const x = ${B}.from([1]);`)).toEqual(['Buffer']);
    expect(nodeGlobalsIn(`var f = typeof ${B} !== "undefined" ? ${B}.isBuffer : void 0;`)).toEqual([]);
    expect(
      nodeGlobalsIn(
        `var f = typeof ${B} !== "undefined" ? ${B}.isBuffer : void 0; ${P}.env.X; ${B}.alloc(1);`,
      ),
    ).toEqual(['process', 'Buffer']);
  });
});
