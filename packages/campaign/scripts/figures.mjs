// The campaign's figures against the build (`pnpm --filter @vfio-sim/campaign figures`, after `pnpm build`):
// cases per second on one core for a small full live-migration case and a uAPI-only case, each beside
// its baseline measured in the same run, and 1 → 2 worker threads beside the same scaling of a pure
// JavaScript loop (what the machine gives two threads right now). Interleaved, best of three rounds:
// the machine is shared. uAPI cases run on the hosts (and the open device) the previous case left, as a
// campaign runs them, and once more on new hosts each time; and the campaign's own uAPI cases in turn.
import { Worker } from 'node:worker_threads';
import { createCasePool, generateCase, runCase } from '@vfio-sim/campaign';
import { migrate, Simulation } from '@vfio-sim/vmm';

const small = (accel) => ({
  kind: 'migration',
  accel,
  iommu: 'arm-smmuv3-s1',
  protocol: 'v2',
  hisiVfs: 1,
  mttys: 0,
  extraMiB: 0,
  touchedPages: 0,
  jobs: 2,
  periodUs: 20,
  limit: 2,
  workloadSeed: 1,
  runUs: 50,
  precopy: true,
  bytesPerUs: 1250,
  fault: null,
  hostile: [],
  jobsAfter: 1,
});
const uapi = (steps) => ({ kind: 'uapi', accel: 'zip', iommu: 'arm-smmuv3-s1', protocol: 'v2', steps });
const REFUSED = [
  { op: 'v2-arc', state: 0 },
  { op: 'feature', feature: 2, access: 'set', argsz: 9 },
  { op: 'region', access: 'read', region: 2, offset: 0x8000 },
  { op: 'region', access: 'info', region: 33, offset: 0 },
];

/** The first 64 uAPI cases of campaign seed 9 (1–8 requests of every kind, v1 and v2), run in turn. */
const GENERATED = [];
for (let i = 0; GENERATED.length < 64; i++) {
  const c = generateCase(9, i);
  if (c.kind === 'uapi') GENERATED.push(c);
}
let nextGenerated = 0;

/** The same guest migrated with vmm alone: no scenario executor, no judgment. */
function bareMigration(kind) {
  const sim = new Simulation({ seed: 1 });
  const source = sim.createHost({ name: 'source', kind, numVfs: 4 });
  const destination = sim.createHost({ name: 'destination', kind, numVfs: 4 });
  const guest = sim.createGuest({ host: source, memory: 9 << 20 });
  guest.startWorkload({ jobs: 2, periodUs: 20, limit: 2, seed: 1 });
  sim.run(50);
  migrate(guest, { to: destination, protocol: 'v2', jobsAfter: 1 });
}

const rate = (f, n) => {
  for (let i = 0; i < 20; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  return (n * 1000) / (performance.now() - t0);
};

const ONE_CORE = [
  ['baseline: bare vmm migration (zip)', () => bareMigration('zip'), 150],
  ['campaign migration case (zip, 1 VF, 2+2 jobs)', () => runCase(small('zip')), 150],
  ['baseline: bare vmm migration (sec)', () => bareMigration('sec'), 150],
  ['campaign migration case (sec, 1 VF, 2+2 jobs)', () => runCase(small('sec')), 150],
  ['baseline: uAPI case without requests (host + open VF)', () => runCase(uapi([])), 400],
  ['campaign uAPI case (4 refused requests)', () => runCase(uapi(REFUSED)), 400],
  [
    'the same on new hosts each time (reuseHosts: false)',
    () => runCase(uapi(REFUSED), { reuseHosts: false }),
    400,
  ],
  [
    "generated uAPI cases (seed 9's first 64, in turn)",
    () => runCase(GENERATED[nextGenerated++ % GENERATED.length]),
    400,
  ],
];

/** A pure JavaScript loop of `units` units on `threads` worker threads: ms. */
async function pureJs(threads, units) {
  const code = `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (n) => { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) % 1000003; parentPort.postMessage(x); });`;
  const ws = Array.from({ length: threads }, () => new Worker(code, { eval: true }));
  const t0 = performance.now();
  await Promise.all(
    ws.map(async (w) => {
      for (let u = 0; u < units / threads; u++)
        await new Promise((resolve) => {
          w.once('message', resolve);
          w.postMessage(100_000_000);
        });
    }),
  );
  const ms = performance.now() - t0;
  await Promise.all(ws.map((w) => w.terminate()));
  return ms;
}

/** Generated cases (seed 9) on a warm pool of `threads`: cases/s. */
async function campaignRate(threads) {
  const batch = (from, k) => ({
    seed: 9,
    indices: Array.from({ length: 8 }, (_, i) => from + k * 8 + i),
    determinismEvery: 0,
  });
  const pool = createCasePool(threads);
  await Promise.all(Array.from({ length: threads * 2 }, (_, k) => pool.run(batch(100_000, k))));
  const t0 = performance.now();
  const done = await Promise.all(Array.from({ length: 40 }, (_, k) => pool.run(batch(0, k))));
  const r = (done.flat().length * 1000) / (performance.now() - t0);
  await pool.destroy();
  return r;
}

const best = new Map();
const keep = (name, v, better = Math.max) => best.set(name, better(best.get(name) ?? v, v));
for (let round = 0; round < 3; round++) {
  for (const [name, f, n] of ONE_CORE) keep(name, rate(f, n));
  keep('pure JS 1 → 2 threads', (await pureJs(1, 2)) / (await pureJs(2, 2)));
  keep('campaign 1 worker', await campaignRate(1));
  keep('campaign 2 workers', await campaignRate(2));
}
for (const [name] of ONE_CORE)
  process.stdout.write(`${best.get(name).toFixed(0).padStart(7)} cases/s  ${name}\n`);
const scaling = best.get('campaign 2 workers') / best.get('campaign 1 worker');
process.stdout.write(
  `worker threads: 1 → ${best.get('campaign 1 worker').toFixed(1)}, 2 → ${best.get('campaign 2 workers').toFixed(1)} cases/s: ${scaling.toFixed(2)}× (pure JS in the same run: ${best.get('pure JS 1 → 2 threads').toFixed(2)}×)\n`,
);
