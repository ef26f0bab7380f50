// @ts-check
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unexportedDeclarations } from './api-surface.js';
import { publishedPackages } from './workspace.js';

describe('unexportedDeclarations', () => {
  it('finds a type a signature uses but the module does not export', () => {
    const dts = [
      "import { Other } from '@vfio-sim/platform';",
      'interface Hidden { a: number }',
      'type Shown = { b: Other };',
      'declare const EMPTY: Uint8Array;',
      'declare function f(h: Hidden): Shown;',
      'export declare class Direct {}',
      'export { EMPTY as EMPTY_BYTES, type Shown, f };',
    ].join('\n');
    expect(unexportedDeclarations(dts)).toEqual(['Hidden']);
  });
});

describe.each(publishedPackages())('$name: the public API names every type it uses', ({ dir }) => {
  it('dist/index.d.ts declares nothing it does not export', () => {
    const dts = join(dir, 'dist', 'index.d.ts');
    expect(existsSync(dts), `${dts} is missing: build first (pnpm build)`).toBe(true);
    expect(unexportedDeclarations(readFileSync(dts, 'utf8'))).toEqual([]);
  });
});
