// Drive the VFIO migration v2 state machine of a HiSilicon ZIP VF by hand, as a VMM would through
// VFIO_DEVICE_FEATURE: save the VF's state on one host (RUNNING → PRE_COPY → STOP_COPY → STOP) and load
// it into a VF on another (STOP → RESUMING → STOP → RUNNING), with an impossible transition refused.
//
// @ts-check
// Uses: @vfio-sim/hisi-acc-vfio-pci, @vfio-sim/migration-v2, @vfio-sim/qm-hw, @vfio-sim/vfio-core, @vfio-sim/platform.
import assert from 'node:assert/strict';
import {
  HISI_ACC_VFIO_PCI,
  hisiAccVfioPciDriver,
  hisiQmPfPciDriver,
  qmPciBoardAttach,
} from '@vfio-sim/hisi-acc-vfio-pci';
import { migStateName } from '@vfio-sim/migration-v2';
import { errnoOf, GuestMemory, IdentityDmaPort, Process, UserMemory, VirtualClock } from '@vfio-sim/platform';
import { GuestVfDriver, QmDevice } from '@vfio-sim/qm-hw';
import {
  PciHost,
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
  VFIO_PCI_BAR2_REGION_INDEX,
  Vfio,
} from '@vfio-sim/vfio-core';

const clock = new VirtualClock();

/**
 * One host: a ZIP PF with one VF bound to hisi-acc-vfio-pci, opened by a VMM process.
 * @param {string} name
 */
function host(name) {
  const ram = new GuestMemory(8 << 20); // the guest's RAM; the VF DMAs into it directly (no IOMMU here)
  const pci = new PciHost(name);
  pci.pciDriverRegister(hisiQmPfPciDriver('zip'));
  pci.pciDriverRegister(hisiAccVfioPciDriver);
  const qm = new QmDevice({ kind: 'zip', clock, dma: new IdentityDmaPort(ram) });
  const pf = qmPciBoardAttach(pci, qm, '0000:75:00.0');
  pci.probe(pf);
  pci.sriovConfigure(pf, 1);
  const vf = pci.get('0000:75:00.1');
  pci.setDriverOverride(vf, HISI_ACC_VFIO_PCI);
  pci.probe(vf);
  const vmm = new Process(new UserMemory(), `qemu@${name}`);
  return { ram, vmm, dev: Vfio.of(pci).openDevice(vmm, vf.name) };
}

/**
 * Read a saving data fd until it has nothing more for now.
 * @param {Process} vmm
 * @param {number} fd
 */
function readAll(vmm, fd) {
  const buf = vmm.mm.alloc(4096);
  const chunks = [];
  for (let n = vmm.read(fd, buf, 4096); n > 0; n = vmm.read(fd, buf, 4096))
    chunks.push(vmm.mm.copyFromUser(buf, n));
  return Uint8Array.from(chunks.flatMap((c) => [...c]));
}

const src = host('source');
assert.equal(src.dev.getMigrationFlags(), 5); // STOP_COPY | PRE_COPY
// A guest driver brings the VF's queue manager up, so there is real state to migrate.
GuestVfDriver.probe({ bar2: src.dev.mmap(VFIO_PCI_BAR2_REGION_INDEX, 0x8000), memory: src.ram, clock });

const saving = src.dev.setMigState(PRE_COPY); // RUNNING → PRE_COPY opens the saving data fd
assert.ok(saving !== undefined);
const precopy = readAll(src.vmm, saving); // the match data, while the guest still runs
console.log(`PRE_COPY: ${precopy.length} bytes of match data`);
assert.equal(src.dev.setMigState(STOP_COPY), undefined); // same fd: the VF stops, its full state follows
const state = Uint8Array.from([...precopy, ...readAll(src.vmm, saving)]);
console.log(`STOP_COPY: ${state.length} bytes in all (struct acc_vf_data)`);
// STOP_COPY → PRE_COPY has no path (vfio_mig_get_next_state): refused, and nothing changes.
assert.equal(
  errnoOf(() => src.dev.setMigState(PRE_COPY)),
  'EINVAL',
);
assert.equal(migStateName(src.dev.getMigState()), 'STOP_COPY');
assert.equal(state.length, src.dev.getMigDataSize());
src.dev.setMigState(STOP); // end the session

const dst = host('destination');
dst.dev.setMigState(STOP);
const resuming = dst.dev.setMigState(RESUMING); // STOP → RESUMING opens the resuming data fd
assert.ok(resuming !== undefined);
const buf = dst.vmm.mm.alloc(state.length);
dst.vmm.mm.copyToUser(buf, state);
assert.equal(dst.vmm.write(resuming, buf, state.length), state.length); // checked: device id, VFT, isolation
dst.dev.setMigState(STOP); // RESUMING → STOP restores the registers and contexts
dst.dev.setMigState(RUNNING); // STOP → RUNNING restarts the queues
console.log(`destination: ${migStateName(dst.dev.getMigState())}`);
assert.equal(dst.dev.getMigState(), RUNNING);
