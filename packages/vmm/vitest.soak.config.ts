import preset from '@vfio-sim/vitest-config';
import { defineConfig } from 'vitest/config';

/** `pnpm soak`: the hostile-input runs of `pnpm test` at scale (`src/**\/*.soak.ts`), no time limit per test. */
export default defineConfig({
  ...preset,
  test: { ...preset.test, include: ['src/**/*.soak.ts'], testTimeout: 0 },
});
