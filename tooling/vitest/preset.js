// @ts-check
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The README-example test every package runs (see readme-example.test.js). */
const README_TEST = fileURLToPath(new URL('./readme-example.test.js', import.meta.url));

/** Workspace packages resolve to `src/` through this condition (see each package's `exports`). */
const conditions = ['@vfio-sim/source', 'module', 'node', 'import', 'default'];

/**
 * The shared vitest preset. Tests sit next to the code (`src/**\/*.test.ts`), benchmarks beside
 * them (`src/**\/*.bench.ts`). No globals: every test imports `describe`/`it`/`expect` explicitly.
 */
export const preset = defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@vfio-sim/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', README_TEST],
    benchmark: { include: ['src/**/*.bench.ts', 'bench/**/*.bench.ts'] },
    environment: 'node',
    // Tests run in forks: isolation without worker_threads' transfer quirks.
    pool: 'forks',
    passWithNoTests: false,
    // Property tests may run long; no test asserts on wall-clock time.
    testTimeout: 60_000,
  },
});

export default preset;
