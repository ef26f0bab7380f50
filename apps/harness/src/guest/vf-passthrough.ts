import { GuestVfDriver, type GuestVfDriverOptions } from '@vfio-sim/qm-hw';
import { VFIO_PCI_BAR2_REGION_INDEX, type VfioUserMapping } from '@vfio-sim/vfio-core';
import { DeviceDmaPort } from '../dirty/device-dma-port.js';
import type { Host } from '../host/host.js';
import { type GuestRamDmaMap, mapGuestRamForDma } from './guest-ram-dma-map.js';
import type { Vm } from './vm.js';

/**
 * Bytes of the VF's BAR2 the VMM maps for the guest: the functional half. The upper 32 KiB (migration
 * control) stays with the host; hisi-acc-vfio-pci refuses to map it.
 */
export const VF_BAR2_GUEST_SIZE = 0x8000;

/** A host's VF 0 plugged into a VM. */
export interface VfPassthrough {
  readonly host: Host;
  readonly vm: Vm;
  /** The VMM's mmap of BAR2's functional half: what the guest driver sees as its BAR2. */
  readonly bar2: VfioUserMapping;
  /** Guest RAM mapped in the host's iommufd for the VF's DMA (IOVA = guest-physical address). */
  readonly dma: GuestRamDmaMap;
}

/**
 * Plug `host`'s VF 0 into `vm` (QEMU `-device vfio-pci` on the iommufd backend): the VMM maps all of
 * guest RAM in the host's IOMMU (IOVA = guest-physical address, a dirty-tracking HWPT; see
 * {@link mapGuestRamForDma}) and the VF's DMA goes through the IOMMU into it — kept out of the VM's
 * CPU dirty log ({@link DeviceDmaPort}); its MSIs go to the VM's interrupt line, and the VMM maps
 * BAR2's functional half from the device fd for the guest.
 *
 * Kernel/VMM counterpart: `vfio_realize` (iommufd attach and map of guest RAM,
 * `VFIO_DEVICE_SET_IRQS`, `vfio_region_mmap`).
 * @throws KernelError from the mmap (e.g. EINVAL if the variant driver refuses the size) or an iommufd
 * ioctl.
 */
export function attachVf(vm: Vm, host: Host): VfPassthrough {
  const bar2 = host.vfHandle.mmap(VFIO_PCI_BAR2_REGION_INDEX, VF_BAR2_GUEST_SIZE);
  const dma = mapGuestRamForDma(host.iommu, vm);
  host.vfHw.setDmaPort(new DeviceDmaPort(host.iommu.device.dmaPort, vm.dirtyLog));
  host.vfHw.setInterruptHandler((vector) => vm.raiseIrq(vector));
  return { host, vm, bar2, dma };
}

/** The options the guest's VF driver runs with on `vf` (its BAR2, the VM's RAM and clock). */
export function guestVfDriverOptions(vf: VfPassthrough): GuestVfDriverOptions {
  return {
    bar2: vf.bar2,
    memory: vf.vm.memory,
    clock: vf.vm.clock,
    deviceId: vf.host.vf.device,
    name: `${vf.vm.name} vf`,
    ...(vf.vm.tracer.enabled ? { tracer: vf.vm.tracer.forThread('vf driver') } : {}),
  };
}

/**
 * Boot the guest's accelerator driver on `vf` (hisi_zip probing a VF inside the guest) and install its
 * interrupt handler in the VM.
 * @throws KernelError from the probe (mailbox EBUSY/ETIMEDOUT/EIO).
 */
export function probeGuestVfDriver(vf: VfPassthrough): GuestVfDriver {
  const driver = GuestVfDriver.probe(guestVfDriverOptions(vf));
  vf.vm.setInterruptHandler((vector) => driver.handleInterrupt(vector));
  return driver;
}

/**
 * The guest's driver continuing on the destination: rebuilt from its state in the (copied) guest RAM,
 * without a register access, its interrupt handler installed. Call before the vCPUs start.
 * @throws KernelError EINVAL if guest RAM holds no driver state.
 */
export function resumeGuestVfDriver(vf: VfPassthrough): GuestVfDriver {
  const driver = GuestVfDriver.resume(guestVfDriverOptions(vf));
  vf.vm.setInterruptHandler((vector) => driver.handleInterrupt(vector));
  return driver;
}
