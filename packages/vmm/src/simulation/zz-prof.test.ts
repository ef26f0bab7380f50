import { it } from 'vitest';
import { migrate } from './migrate.js';
import { Simulation } from './simulation.js';

it('prof', () => {
  const sim = new Simulation({ seed: 8 });
  const a = sim.createHost({ name: 'a', numVfs: 63 });
  const b = sim.createHost({ name: 'b', numVfs: 63 });
  const guests = Array.from({ length: 63 }, (_, i) => {
    const g = sim.createGuest({ name: `g${i}`, host: a, memory: 24 << 20 });
    g.startWorkload({ jobs: 2, periodUs: 0 });
    return g;
  });
  sim.runUntilIdle();
  const t = performance.now();
  for (let k = 0; k < 4; k++)
    for (const g of guests) migrate(g, { to: g.host === a ? b : a, protocol: 'v2' });
  console.log('per migration ms', (performance.now() - t) / 252);
  const s2 = new Simulation({ seed: 8 });
  const a2 = s2.createHost({ name: 'a', numVfs: 63 });
  const b2 = s2.createHost({ name: 'b', numVfs: 63 });
  const g = s2.createGuest({ name: 'g', host: a2, memory: 24 << 20 });
  g.startWorkload({ jobs: 2, periodUs: 0 });
  s2.runUntilIdle();
  const t2 = performance.now();
  for (let k = 0; k < 252; k++) migrate(g, { to: g.host === a2 ? b2 : a2, protocol: 'v2' });
  console.log('one guest per migration ms', (performance.now() - t2) / 252);
}, 600000);
