import { QemuFileReader, QemuFileWriter } from '@vfio-sim/vfio-core';
import type { QemuV2Client } from './qemu-v2-client.js';

/** Options of {@link qemuV2SaveDevice}. */
export interface QemuV2SaveOptions {
  /** Pre-copy rounds at most (`save_live_iterate` while the device is in a pre-copy state); default 3. */
  readonly iterations?: number;
}

/**
 * One device's whole save side as QEMU runs it for a VM with nothing else to move: `save_setup`, pre-copy
 * rounds while `is_active_iterate`, the VM stop (finish-migrate), `save_complete`, `save_state`,
 * `save_cleanup`. Returns the sections in stream order (each a separate QEMU section record's payload).
 * A VMM that also moves RAM interleaves these calls with its own; driver tests use this to migrate one
 * device end to end.
 *
 * QEMU counterpart: the VFIO handlers in `qemu_savevm_state_setup` / `_iterate` / `_complete_precopy` order
 * (migration/savevm.c with hw/vfio/migration.c).
 */
export function qemuV2SaveDevice(client: QemuV2Client, options: QemuV2SaveOptions = {}): Uint8Array[] {
  const sections: Uint8Array[] = [];
  const section = (fn: (w: QemuFileWriter) => void) => {
    const w = new QemuFileWriter();
    fn(w);
    sections.push(w.toBytes());
  };
  section((w) => client.saveSetup(w));
  const iterations = options.iterations ?? 3;
  for (let i = 0; i < iterations && client.isActiveIterate(); i++) section((w) => client.saveIterate(w));
  client.vmStateChange(false, 'finish-migrate');
  section((w) => client.saveComplete(w));
  section((w) => client.saveState(w));
  client.saveCleanup();
  return sections;
}

/**
 * One device's whole load side: `load_setup`, every section through `load_state`, `load_cleanup`, the VM
 * start. Returns the device bytes written to the data fd.
 */
export function qemuV2LoadDevice(client: QemuV2Client, sections: readonly Uint8Array[]): number {
  client.loadSetup();
  let n = 0;
  for (const s of sections) n += client.loadState(new QemuFileReader(s));
  client.loadCleanup();
  client.vmStateChange(true);
  return n;
}
