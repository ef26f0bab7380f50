import preset from '@vfio-sim/vitest-config';
import { defineConfig, mergeConfig } from 'vitest/config';

// Hooks build whole migrations (three, for a model with its comparison runs) and launch chromium: on
// the shared 2-core machine under a full `pnpm test` that takes longer than vitest's 10 s default.
export default mergeConfig(preset, defineConfig({ test: { hookTimeout: 120_000 } }));
