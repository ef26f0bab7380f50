// @ts-check
import { defineConfig } from 'vitest/config';

/** The programs run against the packages' builds (turbo's `test` depends on them), not their sources. */
export default defineConfig({
  test: { include: ['*.test.js'], environment: 'node', pool: 'forks', testTimeout: 120_000 },
});
