import { migrate, Simulation } from '@vfio-sim/vmm';
import { bench, describe } from 'vitest';
import { FOUR_REFUSED_REQUESTS, smallMigrationCase } from '../__fixtures__/small-case.js';
import type { UapiCase } from '../case/campaign-case.js';
import { generateCase } from '../case/generate-case.js';
import { runCase } from '../judge/run-case.js';

/*
 * Cases per second on one core (vitest's module runner slows every case alike; `pnpm --filter
 * @vfio-sim/campaign figures` measures the build, and the worker threads). Each figure beside a baseline
 * measured in the same run: the bare vmm migration of the same guest (what the case costs without the
 * campaign: scenario executor, judging), and for uAPI cases the host and the open VF without requests
 * (on kept hosts, as the campaign runs them) and the case on new hosts each time.
 */

const SMALL = smallMigrationCase();
const UAPI = FOUR_REFUSED_REQUESTS;

describe('one core: a full live-migration case (small guest, a few jobs)', () => {
  bench('baseline: the bare vmm migration of the same guest', () => {
    const sim = new Simulation({ seed: 1 });
    const source = sim.createHost({ name: 'source', numVfs: 4 });
    const destination = sim.createHost({ name: 'destination', numVfs: 4 });
    const guest = sim.createGuest({ host: source, memory: 9 << 20 });
    guest.startWorkload({ jobs: 2, periodUs: 20, limit: 2, seed: 1 });
    sim.run(50);
    migrate(guest, { to: destination, protocol: 'v2', jobsAfter: 1 });
  });
  bench('campaign case (runCase: scenario executor + invariants)', () => {
    runCase(SMALL);
  });
});

describe('one core: a uAPI-only case (an open VF, four refused requests)', () => {
  const requestsOnly: UapiCase = { ...UAPI, steps: [] };
  bench('baseline: the host and the open VF alone', () => {
    runCase(requestsOnly);
  });
  bench(
    'campaign case (each request judged: fingerprint before and after; hosts and the open VF kept between cases)',
    () => {
      runCase(UAPI);
    },
  );
  bench('the same on new hosts each time', () => {
    runCase(UAPI, { reuseHosts: false });
  });
});

describe('one core: generated cases (the campaign’s mix, seed 1)', () => {
  let i = 0;
  bench('generateCase + runCase', () => {
    runCase(generateCase(1, i++ % 64));
  });
});
