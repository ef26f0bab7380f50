import { bench, describe } from 'vitest';
import type { Host } from '../host/host.js';
import type { Guest } from './guest.js';
import { type MigrationProtocol, migrate } from './migrate.js';
import { Simulation } from './simulation.js';

// 63 VFs migrating against one: does a VF's migration cost more when the host is full? Two hosts with
// a ZIP accelerator and all 63 of its VFs enabled; every iteration moves 63 VFs' state (and their
// guests' RAM), so the ratio of two rows is the ratio of their per-VF times.
//
// - v2: 63 guests with one VF each, all running on the same host, each migrated once to the other host
//   (QEMU's v2 refuses one guest with several VFs: a hisi VF has no P2P states); baseline: one guest with
//   one VF on the same kind of host, migrated 63 times back and forth.
// - v1: one guest with 63 VFs, migrated once (v1 has no such blocker: every VF's region in one
//   migration); baseline: a guest with one VF, migrated 63 times back and forth.
//
// Every guest's VF driver has run 2 jobs; the guests are idle while they migrate.
const VFS = 63;

function hosts(seed: number) {
  const sim = new Simulation({ seed });
  const a = sim.createHost({ name: 'a', numVfs: VFS });
  const b = sim.createHost({ name: 'b', numVfs: VFS });
  return { sim, a, b };
}

function boot(sim: Simulation, host: Host, devices: number, name: string): Guest {
  const guest = sim.createGuest({
    name,
    host,
    memory: (16 << 20) + devices * (8 << 20),
    devices: Array<string>(devices).fill('hisi-acc-vf'),
  });
  guest.startWorkload({ jobs: 2, periodUs: 0 });
  return guest;
}

function moveAll(guests: readonly Guest[], a: Host, b: Host, protocol: MigrationProtocol): () => void {
  return () => {
    for (const guest of guests) {
      const report = migrate(guest, { to: guest.host === a ? b : a, protocol });
      if (report.result !== 'PASS') throw new Error(`bench: ${report.failures.join('; ')}`);
    }
  };
}

/** One guest with `devices` VFs on `a`, and a function that migrates it `times` times. */
function oneGuest(protocol: MigrationProtocol, devices: number, times: number): () => void {
  const { sim, a, b } = hosts(7);
  const guest = boot(sim, a, devices, 'g');
  sim.runUntilIdle();
  const once = moveAll([guest], a, b, protocol);
  return () => {
    for (let i = 0; i < times; i++) once();
  };
}

/** 63 one-VF guests on `a`, and a function that migrates each once. */
function fullHost(): () => void {
  const { sim, a, b } = hosts(8);
  const guests = Array.from({ length: VFS }, (_, i) => boot(sim, a, 1, `g${i}`));
  sim.runUntilIdle();
  return moveAll(guests, a, b, 'v2');
}

const v2One = oneGuest('v2', 1, VFS);
const v2Full = fullHost();
const v1One = oneGuest('v1', 1, VFS);
const v1Many = oneGuest('v1', VFS, 1);
// Fail here, loudly, rather than as a figure of migrations that did not happen.
for (const run of [v2One, v2Full, v1One, v1Many]) run();

const options = { time: 0, iterations: 6, warmupTime: 0, warmupIterations: 1 };

describe(`${VFS} VF migrations per iteration over v2: ${VFS} one-VF guests on a full host against one guest`, () => {
  bench(`baseline: one one-VF guest, ${VFS} migrations back and forth`, v2One, options);
  bench(`${VFS} one-VF guests on the host, each migrated once`, v2Full, options);
});

describe(`${VFS} VF migrations per iteration over v1: one ${VFS}-VF guest against a one-VF guest`, () => {
  bench(`baseline: a one-VF guest, ${VFS} migrations back and forth`, v1One, options);
  bench(`a ${VFS}-VF guest, migrated once`, v1Many, options);
});
