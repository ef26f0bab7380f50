// @ts-check
import { describe, expect, it } from 'vitest';
import { bundleForBrowser, nodeGlobalMarker, nodeGlobalsIn } from './browser-bundle.js';
import { publishedPackages } from './workspace.js';

describe.each(publishedPackages())('$name bundles for a browser', ({ name, dir }) => {
  it('with esbuild (platform browser): no node: built-in, no Node-only global, its dist and its dependencies inlined', async () => {
    const r = await bundleForBrowser(name, dir);
    expect(r.errors).toEqual([]);
    expect(r.nodeImports).toEqual([]);
    expect(r.nodeGlobals).toEqual([]);
    const own = name.replace('@vfio-sim/', '');
    expect(r.inputs.some((f) => f.includes(`${own}/dist/`))).toBe(true);
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
