/** `PCI_ANY_ID`: a wildcard in a {@link PciDeviceId}. */
export const PCI_ANY_ID = 0xffff_ffff;

/**
 * One entry of a driver's id table (kernel `struct pci_device_id`).
 * `overrideOnly` is `override_only`: the entry matches only a device whose `driver_override` names this
 * driver (what `PCI_DRIVER_OVERRIDE_DEVICE_VFIO` sets for vfio variant drivers).
 */
export interface PciDeviceId {
  readonly vendor: number;
  readonly device: number;
  readonly subvendor?: number;
  readonly subdevice?: number;
  /** Class code to match under `classMask` (both 24-bit). */
  readonly class?: number;
  readonly classMask?: number;
  readonly overrideOnly?: boolean;
  /** `driver_data`. */
  readonly driverData?: unknown;
}

/** `PCI_DEVICE(vend, dev)`: match vendor and device, any subsystem. */
export function PCI_DEVICE(vendor: number, device: number): PciDeviceId {
  return { vendor, device, subvendor: PCI_ANY_ID, subdevice: PCI_ANY_ID };
}

/**
 * `PCI_DRIVER_OVERRIDE_DEVICE_VFIO(vend, dev)`: an entry that binds only through `driver_override`
 * (vfio variant drivers must never grab a device by id alone).
 */
export function PCI_DRIVER_OVERRIDE_DEVICE_VFIO(vendor: number, device: number): PciDeviceId {
  return { ...PCI_DEVICE(vendor, device), overrideOnly: true };
}

/** The `struct pci_device_id` a probe gets when `driver_override` matched but no table entry did. */
export const PCI_DEVICE_ID_ANY: PciDeviceId = Object.freeze({
  vendor: PCI_ANY_ID,
  device: PCI_ANY_ID,
  subvendor: PCI_ANY_ID,
  subdevice: PCI_ANY_ID,
});

/** `pci_match_one_device`: does `id` describe this function? */
export function pciMatchOneDevice(
  id: PciDeviceId,
  dev: {
    vendor: number;
    device: number;
    subsystemVendor: number;
    subsystemDevice: number;
    classCode: number;
  },
): boolean {
  const any = (want: number | undefined, have: number) =>
    want === undefined || want === PCI_ANY_ID || want === have;
  return (
    any(id.vendor, dev.vendor) &&
    any(id.device, dev.device) &&
    any(id.subvendor, dev.subsystemVendor) &&
    any(id.subdevice, dev.subsystemDevice) &&
    (((id.class ?? 0) ^ dev.classCode) & (id.classMask ?? 0)) === 0
  );
}
