/**
 * Test scaffolding (not part of the package API): the world hostile input is thrown at — two hosts
 * (VF 0 of each in play), an idle guest on the source whose VMM (QEMU's process) holds the device fd and iommufd fd, a
 * hostile process on the destination holding that host's free VF — and what "the state did not change"
 * means for a device.
 */

import { VFIO_DEVICE_STATE_V1_RUNNING } from '@vfio-sim/migration-v1';
import {
  QemuFileReader,
  QemuFileWriter,
  VFIO_DEVICE_STATE_RUNNING,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
} from '@vfio-sim/migration-v2';
import { realizeVfioPci, type VfioPciDevice } from '../../devices/vfio-pci-device.js';
import type { Host } from '../../host/host.js';
import { openQemuV1Client } from '../../migration/vfio/v1-region.js';
import { openQemuV2Client } from '../../migration/vfio/v2-client.js';
import type { Guest } from '../../simulation/guest.js';
import { Simulation } from '../../simulation/simulation.js';
import { Vm } from '../../vm/vm.js';

/** The world of one hostile run. */
export interface HostileWorld {
  readonly sim: Simulation;
  readonly source: Host;
  readonly destination: Host;
  /** The guest, idle (its jobs done), on the source. */
  readonly guest: Guest;
  /** The guest's VF as its QEMU holds it. */
  readonly vf: VfioPciDevice;
  /** The VF's device state as the source's kernel saved it, v2 layout (176 bytes) and v1 (200 bytes). */
  readonly streams: { readonly v2: Uint8Array; readonly v1: Uint8Array };
}

/**
 * Build the world: a guest that ran 4 jobs (all done) on the source; the device state it has, saved
 * once through each protocol's save path and the device restarted (as after a cancelled migration), so
 * stream cases start from real bytes.
 */
export function hostileWorld(seed = 1): HostileWorld {
  const sim = new Simulation({ seed });
  // 8 VFs of 120 queues each: the snapshot a case compares stays small
  const source = sim.createHost({ name: 'source', numVfs: 8 });
  const destination = sim.createHost({ name: 'destination', numVfs: 8 });
  const guest = sim.createGuest({ host: source, memory: 16 << 20 });
  guest.startWorkload({ jobs: 4, periodUs: 0 });
  sim.runUntilIdle();
  const vf = guest.devices[0] as VfioPciDevice;
  const streams = { v2: saveV2(vf), v1: saveV1(vf) };
  sim.runUntilIdle();
  return { sim, source, destination, guest, vf, streams };
}

/** The device bytes of a v2 save (RUNNING → PRE_COPY → STOP_COPY, read to the end), then back to RUNNING. */
function saveV2(vf: VfioPciDevice): Uint8Array {
  const c = openQemuV2Client(vf, { switchoverAck: false });
  const w = new QemuFileWriter();
  c.saveSetup(w);
  c.saveIterate(w);
  c.vmStateChange(false);
  c.saveComplete(w);
  c.saveCleanup();
  c.vmStateChange(true);
  return dataOf(w.toBytes());
}

/** The device bytes of a v1 save (pre-copy, stop-and-copy), then back to RUNNING. */
function saveV1(vf: VfioPciDevice): Uint8Array {
  const c = openQemuV1Client(vf);
  const w = new QemuFileWriter();
  c.saveSetup(w);
  while (c.savePending() > 0) c.saveIterate(w);
  c.vmStop();
  c.saveComplete(w);
  c.cancel();
  return dataOf(w.toBytes());
}

/** The DATA record payloads of a QEMU vfio stream, concatenated. */
function dataOf(stream: Uint8Array): Uint8Array {
  const r = new QemuFileReader(stream);
  const parts: Uint8Array[] = [];
  while (r.remaining > 0) {
    if (r.getBe64() !== VFIO_MIG_FLAG_DEV_DATA_STATE) continue;
    parts.push(r.getBuffer(Number(r.getBe64())).slice());
  }
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** The QM hardware state of `host`'s VF 0 (registers, contexts, queues), as a string for comparison. */
export function qmState(host: Host): string {
  return JSON.stringify(host.qmFunction(0).snapshot().state, (_, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
}

/**
 * Everything a rejected operation must leave as it was on the host side of a VF: the hardware
 * function's state (registers, queues, VFT), the variant driver's migration state and flags, and which
 * fds the process holds. As a string, for comparison.
 */
export function deviceState(host: Host, vm: Vm | undefined): string {
  const hdev = host.vfioDevice(0);
  const fn = host.qmFunction(0).snapshot();
  return JSON.stringify(
    {
      state: fn.state,
      identity: fn.identity,
      mig: hdev.migState,
      v1: hdev.migRegionV1?.state,
      vfQm: hdev.vfQmState,
      paused: hdev.paused,
      saving: hdev.savingMigf !== undefined,
      resuming: hdev.resumingMigf !== undefined,
      fds: vm?.process.openFds() ?? [],
    },
    (_, v) => (typeof v === 'bigint' ? v.toString() : v),
  );
}

/** A hostile VMM process on `host` holding its free VF (another QEMU, or a fuzzer with the cdev). */
export function hostileVm(host: Host, name = 'hostile'): { vm: Vm; dev: VfioPciDevice } {
  const vm = Vm.create({ name, host, memorySize: 1 << 20 });
  return { vm, dev: realizeVfioPci(vm, host.assignable[0]!) };
}

/** Whether the VF is back in RUNNING with no session (what a finished hostile case must leave). */
export function isIdle(host: Host): boolean {
  const hdev = host.vfioDevice(0);
  return (
    hdev.migState === VFIO_DEVICE_STATE_RUNNING &&
    hdev.savingMigf === undefined &&
    hdev.resumingMigf === undefined &&
    (hdev.migRegionV1?.state ?? VFIO_DEVICE_STATE_V1_RUNNING) === VFIO_DEVICE_STATE_V1_RUNNING
  );
}
