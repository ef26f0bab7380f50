#!/usr/bin/env node
// `pnpm demo` / `pnpm scenarios`: the vfio-sim command line of @vfio-sim/cli, run from its sources.
import { main } from '@vfio-sim/cli';

await main(process.argv);
