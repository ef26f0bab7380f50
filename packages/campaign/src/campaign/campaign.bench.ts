import { migrate, Simulation } from '@vfio-sim/vmm';
import { afterAll, bench, describe } from 'vitest';
import { FOUR_REFUSED_REQUESTS, smallMigrationCase } from '../__fixtures__/small-case.js';
import type { UapiCase } from '../case/campaign-case.js';
import { generateCase } from '../case/generate-case.js';
import { runCase } from '../judge/run-case.js';
import { createCasePool } from '../pool/case-pool.js';

/*
 * Cases per second on one core, and on one against two worker threads. Each figure beside a baseline
 * measured in the same run: the bare vmm migration of the same guest (what the case costs without the
 * campaign: scenario executor, judging), and for uAPI cases the same requests without the snapshot the
 * judgment takes around each one.
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
  bench('campaign case (each request judged: snapshot before and after)', () => {
    runCase(UAPI);
  });
});

describe('one core: generated cases (the campaign’s mix, seed 1)', () => {
  let i = 0;
  bench('generateCase + runCase', () => {
    runCase(generateCase(1, i++ % 64));
  });
});

// Worker pools kept across iterations: the steady state, not the workers' start-up.
const one = createCasePool(1);
const two = createCasePool(2);
afterAll(async () => {
  await Promise.all([one.destroy(), two.destroy()]);
});
const BATCH = Array.from({ length: 16 }, (_, i) => i);
const batches = (n: number) =>
  Array.from({ length: n }, (_, k) => ({
    seed: 2,
    indices: BATCH.map((i) => i + k * 16),
    determinismEvery: 0,
  }));

describe('worker threads: 64 generated cases', () => {
  bench(
    '1 worker',
    async () => {
      await Promise.all(batches(4).map((b) => one.run(b)));
    },
    { warmupIterations: 1, iterations: 3 },
  );
  bench(
    '2 workers',
    async () => {
      await Promise.all(batches(4).map((b) => two.run(b)));
    },
    { warmupIterations: 1, iterations: 3 },
  );
});
