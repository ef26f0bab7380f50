import { preset } from '@vfio-sim/tsup-config';
import { defineConfig } from 'tsup';

export default defineConfig(preset({ entry: ['src/index.ts', 'src/cli.ts'] }));
