import type { InterruptSetup } from './emulated-pci-config.js';
import type { VfioPciDevice } from './vfio-pci-device.js';

/**
 * What a VMM needs to know about one kind of assignable device beyond the generic vfio uAPI: which
 * regions QEMU maps for the guest at realize (its quirks), and the guest's own driver for it — how it
 * boots, and how it continues on a destination from the guest RAM it left behind. Everything else
 * (opening the device, iommufd, migration through the v1 region or the v2 state machine) is the same
 * for every device, so a driver author plugs a new variant driver into the VMM with one of these.
 *
 * VMM counterpart: QEMU's `vfio-pci` device with its per-device quirks (hw/vfio/pci-quirks.c), plus the
 * guest OS's driver for the device.
 */
export interface DeviceModel<Guest = unknown> {
  /** The model's name, as options and reports spell it (e.g. `hisi-acc-vf`). */
  readonly name: string;
  /** How the guest's driver sets up the device's interrupts (default: none recorded). */
  readonly interrupts?: InterruptSetup;
  /**
   * QEMU's realize, after the device fd is open and its DMA attached: map what the guest sees (e.g. a
   * BAR's mmap-able part).
   * @throws KernelError from the mmap or a region query.
   */
  realize(dev: VfioPciDevice): void;
  /** Boot the guest's driver for `dev` (the guest kernel probing the device). */
  probeGuest(dev: VfioPciDevice): Guest;
  /**
   * The guest's driver continuing on a migration destination, from the copied guest RAM, without
   * touching the device (the guest kernel does not know it moved). `source` is the same device on the
   * source VM, whose `guest` is the driver as it was (for a model whose driver state the model keeps
   * outside guest RAM).
   */
  resumeGuest(dev: VfioPciDevice, source: VfioPciDevice): Guest;
  /**
   * After a migration, on the destination: whether the variant driver restored the device without the
   * running state the guest's driver (resumed, `dev.guest`) relies on — a description of what is
   * missing, or undefined when the state is whole. Optional: a model without it is taken as whole.
   */
  restoredWithoutState?(dev: VfioPciDevice): string | undefined;
  /**
   * The VM is going away (QEMU quits, `dev` is about to be unrealized): the guest's driver for it runs
   * no more — pending deferred work must not touch the device. Optional.
   */
  haltGuest?(dev: VfioPciDevice): void;
}
