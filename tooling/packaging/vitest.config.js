// @ts-check
import { defineConfig } from 'vitest/config';

/** The checks read every package's build output and tarball list; `pnpm test` runs them after the build. */
export default defineConfig({
  test: { include: ['*.test.js'], environment: 'node', pool: 'forks', testTimeout: 120_000 },
});
