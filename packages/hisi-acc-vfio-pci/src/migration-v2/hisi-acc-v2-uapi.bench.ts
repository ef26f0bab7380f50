import {
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
} from '@vfio-sim/migration-v2';
import { VirtualClock } from '@vfio-sim/platform';
import { bench, describe } from 'vitest';
import { makeHost } from '../__fixtures__/testbed.js';

// One VF's v2 migration through the uAPI only, on a lone VF (all 960 queues) of a real hisi host without
// a guest driver: STOP_COPY (the saving fd), read it to EOF, RESUMING (the resuming fd), write the bytes,
// RUNNING. The device is its own destination, so the loop can run forever. Baseline: the device side's
// least a migration does, stop and restart (RUNNING → STOP → RUNNING: PAUSE_QM, interrupt check, cache
// write-back, restart), with no state saved, moved or loaded.
const h = makeHost(new VirtualClock(), 'bench', { numVfs: 1 });
const { process, handle } = h;
const buf = process.mm.alloc(4096, 8);
const out = { bytes: 0 };

function migrate(): void {
  const saving = handle.setMigState(STOP_COPY)!;
  let n = 0;
  for (let r = process.read(saving, buf, 4096); r > 0; r = process.read(saving, buf, 4096)) n += r;
  process.close(saving);
  const resuming = handle.setMigState(RESUMING)!;
  if (process.write(resuming, buf, n) !== n) throw new Error('short write');
  process.close(resuming);
  handle.setMigState(RUNNING);
  out.bytes += n;
}

function stopStart(): void {
  handle.setMigState(STOP);
  handle.setMigState(RUNNING);
}

// Fail here, loudly, rather than as a NaN in the summary.
migrate();
stopStart();

describe('one-VF v2 migration, uAPI only (STOP_COPY, read to EOF, RESUMING, write, RUNNING)', () => {
  bench('baseline: stop and restart only (RUNNING → STOP → RUNNING)', stopStart);
  bench('v2 migration', migrate);
});
