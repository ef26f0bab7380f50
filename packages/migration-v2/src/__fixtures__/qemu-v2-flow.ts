import { QemuFileReader, QemuFileWriter } from '@vfio-sim/vfio-core';
import type { QemuV2Client } from '../client/qemu-v2-client.js';

/*
 * QEMU's migration core driving one device's v2 client: the save side to completion, the load side of the
 * sections it produced (what the client tests and benchmark run between two fake devices).
 */

/** Run QEMU's save side to completion; returns the sections in stream order. */
export function save(c: QemuV2Client, iterations = 3): Uint8Array[] {
  const sections: Uint8Array[] = [];
  const section = (fn: (w: QemuFileWriter) => void) => {
    const w = new QemuFileWriter();
    fn(w);
    sections.push(w.toBytes());
  };
  section((w) => c.saveSetup(w));
  for (let i = 0; i < iterations && c.isActiveIterate(); i++) section((w) => c.saveIterate(w));
  c.vmStateChange(false, 'finish-migrate');
  section((w) => c.saveComplete(w));
  section((w) => c.saveState(w));
  c.saveCleanup();
  return sections;
}

/** Load `sections` into a client already set up (no setup, cleanup or start). */
export function loadAll(c: QemuV2Client, sections: Uint8Array[]): void {
  for (const s of sections) c.loadState(new QemuFileReader(s));
}

/** The destination side: load_setup, every section, load_cleanup, VM start; returns device bytes loaded. */
export function load(c: QemuV2Client, sections: Uint8Array[]): number {
  c.loadSetup();
  let n = 0;
  for (const s of sections) n += c.loadState(new QemuFileReader(s));
  c.loadCleanup();
  c.vmStateChange(true);
  return n;
}
