import type { MdevDevice } from './mdev-device.js';
import type { MdevParent } from './mdev-parent.js';

/**
 * One kind of mediated device a parent can create (kernel `struct mdev_type`): its sysfs directory is
 * `<parent>-<sysfsName>` under the parent's `mdev_supported_types/`. Drivers declare their types once
 * (mtty: `1` = one port, `2` = two ports) and may extend the object with their own fields, reached in C
 * with `container_of(mdev->type, ...)`.
 */
export interface MdevType {
  /** `sysfs_name`: the suffix of the type's directory name. */
  readonly sysfsName: string;
  /** `pretty_name`: what the type's `name` attribute shows. */
  readonly prettyName?: string;
}

/**
 * The driver of a parent's mediated devices (kernel `struct mdev_driver`): it binds to every mdev the
 * parent creates (`probe` builds and registers the vfio device, `remove` withdraws it) and tells sysfs how
 * many more instances of a type fit.
 */
export interface MdevDriver {
  /** `driver.name`, e.g. `'mtty'`. */
  readonly name: string;
  /** `device_api`: the vfio device API string its devices speak (`VFIO_DEVICE_API_PCI_STRING`). */
  readonly deviceApi: string;
  /** `probe`: the mdev was created; set it up (typically register a vfio device). Throw to refuse it. */
  probe(mdev: MdevDevice): void;
  /** `remove`: the mdev is being removed. May throw EBUSY in the model while its vfio fds are open. */
  remove(mdev: MdevDevice): void;
  /**
   * `get_available`: how many more mdevs of `type` can be created on `parent` (sysfs
   * `available_instances`; C reaches the parent as `mtype->parent`).
   */
  getAvailable(parent: MdevParent, type: MdevType): number;
}

/** `VFIO_DEVICE_API_PCI_STRING`: the `device_api` of an mdev that presents a PCI device. */
export const VFIO_DEVICE_API_PCI_STRING = 'vfio-pci';
