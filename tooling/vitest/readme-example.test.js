// @ts-check
import { expect, it } from 'vitest';
import { runReadmeExample } from './readme.js';

/*
 * Every package that uses the shared preset gets this test (the preset includes it): the README's usage
 * example runs against the package as a user would import it, and checks itself with node:assert.
 * Vitest runs from the package directory (turbo and `pnpm --filter` start it there).
 */
it('the README usage example runs and its assertions hold', async () => {
  expect(await runReadmeExample(process.cwd())).toBeGreaterThanOrEqual(3);
});
