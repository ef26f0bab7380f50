import { bench, describe } from 'vitest';
import { fakeHost, fakeState, RESUMING, RUNNING, STOP_COPY } from '../__fixtures__/fake-v2-device.js';
import { QemuV2Client } from './qemu-v2-client.js';
import { qemuV2LoadDevice as load, qemuV2SaveDevice } from './qemu-v2-sequence.js';

// A whole QEMU v2 migration (save_setup with PRE_COPY, up to 3 iterations, VM stop, save_complete,
// save_state, cleanup; then load_setup, load_state per section, load_cleanup, VM start) of a 4 KiB device
// state between two fake devices, clients created and closed per migration. Baseline: the same state moved with the bare
// uAPI (STOP_COPY, read to EOF, RESUMING, write, RUNNING) — what the client adds is QEMU's sequence,
// framing and bookkeeping.
const BYTES = 4096;
const src = fakeHost('src', { state: fakeState(BYTES, 3), precopyBytes: 1024 });
const dst = fakeHost('dst', { state: fakeState(BYTES, 9) });
const buf = src.process.mm.alloc(BYTES, 8);
const dbuf = dst.process.mm.alloc(BYTES, 8);

function bare(): number {
  const saving = src.handle.setMigState(STOP_COPY)!;
  let n = 0;
  for (
    let r = src.process.read(saving, buf + n, BYTES - n);
    r > 0;
    r = src.process.read(saving, buf + n, BYTES - n)
  )
    n += r;
  src.process.close(saving);
  src.handle.setMigState(RUNNING);
  dst.process.mm.copyToUser(dbuf, src.process.mm.copyFromUser(buf, n));
  const resuming = dst.handle.setMigState(RESUMING)!;
  dst.process.write(resuming, dbuf, n);
  dst.process.close(resuming);
  dst.handle.setMigState(RUNNING);
  return n;
}

function client(): number {
  const s = new QemuV2Client(src.handle);
  const d = new QemuV2Client(dst.handle);
  const loaded = load(d, qemuV2SaveDevice(s));
  s.vmStateChange(true);
  s.close();
  d.close();
  return loaded;
}

if (bare() !== BYTES || client() !== BYTES) throw new Error('bench setup: migration moved the wrong bytes');

describe(`QEMU v2 client migration (${BYTES >> 10} KiB device state)`, () => {
  bench('baseline: the bare uAPI (STOP_COPY, read, RESUMING, write, RUNNING)', () => {
    bare();
  });
  bench('QemuV2Client save + load', () => {
    client();
  });
});
