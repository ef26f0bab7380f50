import { bench, describe } from 'vitest';
import {
  VFIO_MIGRATION_PRE_COPY as PRE,
  VFIO_MIGRATION_STOP_COPY as SC,
  VFIO_DEVICE_NUM_STATES,
} from './mig-state.js';
import { migStateSupported, vfioMigGetNextState, vfioMigPath } from './next-state.js';

// Every (cur, new) pair with a path for the hisi_acc feature set (STOP_COPY | PRE_COPY), as flat arrays.
const FLAGS = SC | PRE;
const curs: number[] = [];
const news: number[] = [];
for (let cur = 0; cur < VFIO_DEVICE_NUM_STATES; cur++) {
  for (let to = 0; to < VFIO_DEVICE_NUM_STATES; to++) {
    if (cur === to || !migStateSupported(FLAGS, cur) || !migStateSupported(FLAGS, to)) continue;
    try {
      vfioMigPath(FLAGS, cur, to);
    } catch {
      continue; // STOP_COPY → PRE_COPY: no path
    }
    curs.push(cur);
    news.push(to);
  }
}
// Baseline: the same answers in a plain table (`vfio_from_fsm_table[cur][new]` shape), no checks.
const plain: number[][] = Array.from({ length: VFIO_DEVICE_NUM_STATES }, () =>
  new Array<number>(VFIO_DEVICE_NUM_STATES).fill(0),
);
for (let i = 0; i < curs.length; i++)
  plain[curs[i]!]![news[i]!] = vfioMigGetNextState(FLAGS, curs[i]!, news[i]!);
const ROUNDS = 1000;
// Taken into a local once: under vitest every use of an imported binding is a getter call (the module
// runner's live bindings), which a real ESM import does not cost.
const nextState = vfioMigGetNextState;
const out = { sink: 0 };

describe(`FSM next step, ${curs.length} pairs × ${ROUNDS}`, () => {
  bench('baseline: plain table lookup', () => {
    let s = 0;
    for (let r = 0; r < ROUNDS; r++) for (let i = 0; i < curs.length; i++) s += plain[curs[i]!]![news[i]!]!;
    out.sink ^= s;
  });
  bench('vfioMigGetNextState', () => {
    let s = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < curs.length; i++) s += nextState(FLAGS, curs[i]!, news[i]!);
    }
    out.sink ^= s;
  });
});
