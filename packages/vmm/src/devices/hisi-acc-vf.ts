import type { HisiAccVfCoreDevice } from '@vfio-sim/hisi-acc-vfio-pci';
import { KernelError } from '@vfio-sim/platform';
import { GuestVfDriver, type GuestVfDriverOptions, QM_READY } from '@vfio-sim/qm-hw';
import { VFIO_PCI_BAR2_REGION_INDEX } from '@vfio-sim/vfio-core';
import type { DeviceModel } from './device-model.js';
import type { VfioPciDevice } from './vfio-pci-device.js';

/**
 * Bytes of the VF's BAR2 the VMM maps for the guest: the functional half. The upper 32 KiB (migration
 * control) stays with the host; hisi-acc-vfio-pci refuses to map it.
 */
export const VF_BAR2_GUEST_SIZE = 0x8000;

/**
 * Guest RAM each VF driver of a guest gets for its rings, contexts and job buffers: the guest kernel
 * places the driver of the device on line `n` at 1 MiB + n × 8 MiB (a 32-slot driver needs ~4.3 MiB).
 */
export const GUEST_VF_DRIVER_RAM = 8 << 20;

/** The name of the {@link hisiAccVfModel}. */
export const HISI_ACC_VF_MODEL = 'hisi-acc-vf';

/** The options the guest's VF driver runs with on `dev` (its BAR2, the VM's RAM and clock). */
export function guestVfDriverOptions(dev: VfioPciDevice): GuestVfDriverOptions {
  const bar2 = dev.mappings.get(VFIO_PCI_BAR2_REGION_INDEX);
  if (bar2 === undefined)
    throw new KernelError('ENODEV', `${dev.host.name}: BAR2 is not mapped for the guest`);
  const { vm } = dev;
  return {
    bar2,
    memory: vm.memory,
    clock: vm.clock,
    deviceId: dev.host.deviceId,
    allocBase: (1 << 20) + dev.line * GUEST_VF_DRIVER_RAM,
    name: `${vm.name} vf${dev.line}`,
    ...(vm.tracer.enabled ? { tracer: vm.tracer.forThread(`vf${dev.line} driver`) } : {}),
  };
}

/** Install `driver`'s interrupt handler on the device's line and remember it as the device's guest. */
function bind(dev: VfioPciDevice, driver: GuestVfDriver): GuestVfDriver {
  dev.vm.setInterruptHandler(dev.line, (vector) => driver.handleInterrupt(vector));
  dev.guest = driver;
  return driver;
}

/**
 * A HiSilicon accelerator VF (ZIP, SEC or HPRE) bound to hisi-acc-vfio-pci: QEMU maps BAR2's
 * functional half (32 KiB) for the guest — the variant driver hides the migration half on every path —
 * and the guest runs the accelerator's VF driver (qm-hw's {@link GuestVfDriver}), which places its
 * rings and contexts in guest RAM and, after a migration, continues from them.
 *
 * VMM counterpart: QEMU's vfio-pci on a hisi VF; guest counterpart: hisi_zip / hisi_sec2 / hisi_hpre
 * probing a VF.
 */
export const hisiAccVfModel: DeviceModel<GuestVfDriver> = {
  name: HISI_ACC_VF_MODEL,
  // a V3 VF's MSI vectors: the event queue, the async event queue, the PF's commands (qm.c)
  interrupts: { type: 'msi', vectors: 3 },
  realize(dev) {
    dev.mapRegion(VFIO_PCI_BAR2_REGION_INDEX, VF_BAR2_GUEST_SIZE);
  },
  probeGuest(dev) {
    return bind(dev, GuestVfDriver.probe(guestVfDriverOptions(dev)));
  },
  resumeGuest(dev) {
    return bind(dev, GuestVfDriver.resume(guestVfDriverOptions(dev)));
  },
  haltGuest(dev) {
    (dev.guest as GuestVfDriver | undefined)?.halt();
  },
  restoredWithoutState(dev) {
    const driver = dev.guest as GuestVfDriver | undefined;
    const hdev = dev.host.pdev?.drvdata as HisiAccVfCoreDevice | undefined;
    if (driver === undefined || hdev === undefined || driver.qm.status.flags !== 'START') return undefined;
    if (hdev.vfQmState === QM_READY) return undefined;
    return `${dev.host.hostName} ${dev.host.name}: the state was loaded as "guest driver not started" (vf_qm_state QM_NOT_READY: no queue context restored) while the guest's driver runs its queues`;
  },
};
