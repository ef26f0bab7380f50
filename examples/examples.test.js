// @ts-check
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runWithNode, typeCheckAsConsumer } from '../tooling/vitest/readme.js';

const DIR = fileURLToPath(new URL('.', import.meta.url));
const PROGRAMS = readdirSync(DIR).filter((f) => f.endsWith('.mjs'));

/*
 * Each program runs as a user would run it after `npm i` of the packages it names: plain node, the
 * packages loaded from their built dist/ through `exports`. Each checks itself with node:assert, and
 * type-checks as `// @ts-check` JavaScript (JSDoc types) against the built declarations.
 */
describe('examples/', () => {
  it('has the programs', () => {
    expect(PROGRAMS).toEqual(['iommufd-dirty-bits.mjs', 'migrate-a-guest.mjs', 'v2-fsm-by-hand.mjs']);
  });

  it.each(PROGRAMS)('%s runs with node and its assertions hold', (program) => {
    const run = runWithNode(DIR, join(DIR, program));
    expect(run.output).not.toMatch(/Error/);
    expect(run.ok).toBe(true);
  });

  it('type-check as checked JavaScript (bundler and nodenext resolution, against the built declarations)', () => {
    expect(
      typeCheckAsConsumer(
        DIR,
        PROGRAMS.map((p) => join(DIR, p)),
      ),
    ).toEqual([]);
  });
});
