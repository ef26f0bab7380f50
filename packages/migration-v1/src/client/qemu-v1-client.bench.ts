import { QemuFileReader, QemuFileWriter } from '@vfio-sim/vfio-core';
import { bench, describe } from 'vitest';
import { regionHost } from '../__fixtures__/region-host.js';

// A whole QEMU v1 migration (save setup, one pre-copy iteration, stop, stop-and-copy, load, start)
// between two devices behind v1 regions with a 4 KiB data window, over pread/pwrite of the device fds
// (QEMU splits every data access into naturally aligned 8-byte ones, as vfio_mig_rw does).
// Baseline: the same sequence for a device with no state (the register protocol alone).
const STATE = 16 << 10;

function pair(bytes: number) {
  const state = Uint8Array.from({ length: bytes }, (_, i) => i & 0xff);
  return { src: regionHost(state, bytes / 4, 4096), dst: regionHost(new Uint8Array(), 0, 4096) };
}

function migrate({ src, dst }: ReturnType<typeof pair>): number {
  const out = new QemuFileWriter();
  src.client.saveSetup(out);
  src.client.savePending();
  src.client.saveIterate(out);
  src.client.vmStop();
  src.client.saveComplete(out);
  src.client.vmStart();
  dst.client.loadSetup();
  const input = new QemuFileReader(out.toBytes());
  let loaded = 0;
  while (input.remaining > 0) loaded += dst.client.loadState(input);
  dst.client.vmStart();
  // The fake devices log arcs and loaded bytes: keep the logs from growing across iterations.
  src.device.arcs.length = 0;
  dst.device.arcs.length = 0;
  dst.device.loaded.length = 0;
  return loaded;
}

const empty = pair(0);
const full = pair(STATE);
if (migrate(full) !== STATE || migrate(empty) !== 0)
  throw new Error('bench setup: migration moved the wrong bytes');

describe(`QEMU v1 client migration (${STATE >> 10} KiB device state, 4 KiB data window)`, () => {
  bench('baseline: the same sequence, no device state', () => {
    migrate(empty);
  });
  bench('v1 migration', () => {
    migrate(full);
  });
});
