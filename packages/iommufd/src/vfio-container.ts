import {
  anonInodeGetFile,
  type FileOperations,
  FMODE_READ,
  FMODE_WRITE,
  KernelError,
  type KernelFile,
  type Task,
} from '@vfio-sim/platform';
import { type Type1Group, VfioIommuType1 } from './vfio-iommu-type1.js';
import {
  VFIO_API_VERSION,
  VFIO_CHECK_EXTENSION,
  VFIO_GET_API_VERSION,
  VFIO_SET_IOMMU,
} from './vfio-type1-uapi.js';

/**
 * A legacy VFIO container (`/dev/vfio/vfio`) whose only IOMMU driver is type1: the groups set on it,
 * and after VFIO_SET_IOMMU the driver instance that serves every other ioctl.
 *
 * Kernel counterpart: `struct vfio_container` and its `vfio_fops_unl_ioctl` (drivers/vfio/container.c:
 * `vfio_container_ioctl_check_extension`, `vfio_ioctl_set_iommu`), with vfio_iommu_type1 registered.
 */
export class VfioContainer {
  private readonly groups: Type1Group[] = [];
  private driver: VfioIommuType1 | undefined = undefined;

  constructor(private readonly options: { dmaEntryLimit?: number } = {}) {}

  /** The type1 instance after VFIO_SET_IOMMU (undefined before). */
  get iommu(): VfioIommuType1 | undefined {
    return this.driver;
  }

  /**
   * VFIO_GROUP_SET_CONTAINER's container side (`vfio_container_attach_group`): on a set container the
   * driver attaches the group first.
   * @throws KernelError what the driver's `attach_group` throws (the group is not added then).
   */
  addGroup(group: Type1Group): void {
    this.driver?.attachGroup(group);
    this.groups.push(group);
  }

  /**
   * VFIO_GROUP_UNSET_CONTAINER's container side (`vfio_container_detach_group`): the last group
   * leaving releases the driver — the container is unset again ("deprivileged").
   */
  removeGroup(group: Type1Group): void {
    const i = this.groups.indexOf(group);
    if (i < 0) return;
    this.groups.splice(i, 1);
    this.driver?.detachGroup(group);
    if (this.groups.length === 0) this.driver = undefined;
  }

  /**
   * `vfio_fops_unl_ioctl`: GET_API_VERSION; CHECK_EXTENSION (asked of the driver, or before
   * SET_IOMMU of type1 with no instance); SET_IOMMU (no group, or already set → EINVAL; a type type1
   * does not answer to → ENODEV; type1 refusing to open it → EINVAL); anything else goes to the driver
   * (none set → EINVAL).
   */
  ioctl(current: Task, cmd: number, arg: number): number {
    switch (cmd) {
      case VFIO_GET_API_VERSION:
        return VFIO_API_VERSION;
      case VFIO_CHECK_EXTENSION:
        return VfioIommuType1.checkExtension(this.driver, arg);
      case VFIO_SET_IOMMU:
        return this.setIommu(arg);
      default:
        if (this.driver === undefined) {
          throw new KernelError('EINVAL', `container ioctl 0x${cmd.toString(16)} before VFIO_SET_IOMMU`);
        }
        return this.driver.ioctl(current, cmd, arg);
    }
  }

  private setIommu(type: number): number {
    if (this.groups.length === 0 || this.driver !== undefined) {
      throw new KernelError('EINVAL', 'VFIO_SET_IOMMU needs a group and an unset container');
    }
    // "The arg magic for SET_IOMMU is the same as CHECK_EXTENSION".
    if (VfioIommuType1.checkExtension(undefined, type) <= 0) {
      throw new KernelError('ENODEV', `no IOMMU driver for type ${type}`);
    }
    const driver = VfioIommuType1.open(type, this.options);
    for (const g of this.groups) driver.attachGroup(g);
    this.driver = driver;
    return 0;
  }
}

/** The file operations of `/dev/vfio/vfio`. Kernel counterpart: `vfio_fops` (drivers/vfio/container.c). */
export const VFIO_CONTAINER_FOPS: FileOperations<VfioContainer> = Object.freeze({
  ioctl: (file: KernelFile<VfioContainer>, current: Task, cmd: number, arg: number) =>
    file.privateData.ioctl(current, cmd, arg),
});

/**
 * Open `/dev/vfio/vfio`: a new, unset container. Kernel counterpart: `vfio_fops_open`.
 */
export function openVfioContainer(options: { dmaEntryLimit?: number } = {}): KernelFile<VfioContainer> {
  return anonInodeGetFile<VfioContainer>(
    'vfio-container',
    VFIO_CONTAINER_FOPS,
    new VfioContainer(options),
    FMODE_READ | FMODE_WRITE,
  );
}
