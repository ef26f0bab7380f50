// @ts-check
import { expect, it } from 'vitest';
import { runReadmeExamples } from './readme.js';

/*
 * Every package that uses the shared preset gets this test (the preset includes it): each ```js example
 * of the README runs with node against the built package, as a user would run it, and type-checks
 * unchanged as TypeScript (bundler and nodenext resolution); the examples check themselves with
 * node:assert. Vitest runs from the package directory (turbo and `pnpm --filter` start it there).
 *
 * The timeout is generous: a node process per example and two TypeScript programs, on a machine shared
 * with the other packages' test runs. No assertion depends on time.
 */
const TIMEOUT_MS = 300_000;

it('the README examples run with node against the build, type-check as TypeScript, and their assertions hold', {
  timeout: TIMEOUT_MS,
}, async () => {
  expect(await runReadmeExamples(process.cwd())).toBeGreaterThanOrEqual(3);
});
