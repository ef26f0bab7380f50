// @ts-check
import { describe, expect, it } from 'vitest';
import { bundleForBrowser } from './browser-bundle.js';
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
