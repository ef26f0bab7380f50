import { GuestMemory, IdentityDmaPort, VirtualClock } from '@vfio-sim/platform';
import { QmDevice } from '../../device/qm-device.js';
import type { QmFunction } from '../../device/qm-function.js';
import type { QmHwVer } from '../../regs/versions.js';
import { GuestVfDriver, type GuestVfDriverOptions } from '../guest-vf-driver.js';
import { PfDriver } from '../pf-driver.js';

/** A host with a ZIP device, its PF driver and `numVfs` VFs; VF0's DMA goes to `memory` 1:1. */
export function zipHost(
  options: { numVfs?: number; version?: QmHwVer; dbIsolation?: boolean; clock?: VirtualClock } = {},
) {
  const clock = options.clock ?? new VirtualClock();
  const device = new QmDevice({
    kind: 'zip',
    clock,
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.dbIsolation !== undefined ? { dbIsolation: options.dbIsolation } : {}),
  });
  const pf = PfDriver.probe({ device, clock, numVfs: options.numVfs ?? 2 });
  const memory = new GuestMemory(16 << 20);
  const vf = device.vfs[0] as QmFunction;
  vf.setDmaPort(new IdentityDmaPort(memory));
  return { clock, device, pf, memory, vf };
}

/** The guest driver options for VF `vf` over `memory`. */
export function guestOptions(vf: QmFunction, memory: GuestMemory, clock: VirtualClock): GuestVfDriverOptions {
  return { bar2: vf.bar2, bar4: vf.bar4, memory, clock, bufferSlots: 8, bufferSize: 0x8000 };
}

/** Probe the guest driver on `vf` and route the VF's interrupts to it. */
export function probeGuest(vf: QmFunction, memory: GuestMemory, clock: VirtualClock): GuestVfDriver {
  const drv = GuestVfDriver.probe(guestOptions(vf, memory, clock));
  vf.setInterruptHandler((v) => drv.handleInterrupt(v));
  return drv;
}
