import { preset } from '@vfio-sim/tsup-config';
import { defineConfig } from 'tsup';

// Two entries, the library and the bin: split, so the code they share ships once (a chunk beside them).
export default defineConfig(preset({ entry: ['src/index.ts', 'src/cli.ts'], splitting: true }));
