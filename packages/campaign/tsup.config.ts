import { preset } from '@vfio-sim/tsup-config';
import { defineConfig } from 'tsup';

// The worker threads' entry is a bundle of its own, next to the index (the pool loads it by URL);
// only the index has declarations.
export default defineConfig(
  preset({
    entry: { index: 'src/index.ts', 'case-worker': 'src/pool/case-worker.ts' },
    dts: { entry: { index: 'src/index.ts' }, compilerOptions: { customConditions: [] } },
  }),
);
