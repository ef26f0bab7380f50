import { KernelError } from '@vfio-sim/platform';
import { MdevBus } from './mdev-bus.js';
import type { MdevType } from './mdev-driver.js';
import type { MdevParent } from './mdev-parent.js';

/** `guid_parse` / `uuid_is_valid` format: 8-4-4-4-12 hex digits. */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One mediated device (kernel `struct mdev_device`): named by its UUID (`dev_name()`, what user space
 * opens through vfio), of one type of one parent, with the driver's data (`dev_set_drvdata`).
 */
export class MdevDevice {
  /** `active`: created and not being removed. */
  active = false;
  /** `dev_get_drvdata(&mdev->dev)`: what the driver's probe stored (mtty: its `mdev_state`). */
  drvdata: unknown = undefined;

  constructor(
    /** The UUID, lower case (`%pUl`). */
    readonly uuid: string,
    /** `mdev->type`. */
    readonly type: MdevType,
    /** `mdev->type->parent`. */
    readonly parent: MdevParent,
  ) {}

  /** `dev_name(&mdev->dev)`: the UUID. */
  get name(): string {
    return this.uuid;
  }
}

/**
 * sysfs `mdev_supported_types/<type>/create` (`create_store` → `mdev_device_create`): create an mdev of
 * `type` (the type or its directory name, e.g. `'mtty-2'`) named `uuid` on `parent`, and bind the
 * parent's driver to it (`probe`). If the probe fails the mdev is gone again and its error propagates.
 *
 * Kernel counterpart: `create_store()` (mdev_sysfs.c) and `mdev_device_create()` (mdev_core.c).
 * @throws KernelError EINVAL (not a UUID), ENOENT (no such type), ENODEV (parent not registered),
 * EEXIST (an mdev with that UUID exists on the host), or the probe's error (mtty: ENOSPC).
 */
export function mdevDeviceCreate(parent: MdevParent, type: MdevType | string, uuid: string): MdevDevice {
  if (!UUID_RE.test(uuid)) throw new KernelError('EINVAL', `"${uuid}" is not a UUID`);
  const mtype = typeof type === 'string' ? parent.type(type) : type;
  if (!parent.types.includes(mtype)) {
    throw new KernelError('ENOENT', `${parent.name}: type ${mtype.sysfsName} is not one of its types`);
  }
  if (!parent.registered) throw new KernelError('ENODEV', `mdev parent ${parent.name} is not registered`);
  const bus = MdevBus.of(parent.host);
  const name = uuid.toLowerCase();
  if (bus.devices.has(name)) throw new KernelError('EEXIST', `mdev ${name} exists on ${parent.host.name}`);
  const mdev = new MdevDevice(name, mtype, parent);
  bus.devices.set(name, mdev);
  try {
    parent.driver.probe(mdev);
  } catch (e) {
    bus.devices.delete(name);
    throw e;
  }
  mdev.active = true;
  return mdev;
}

/**
 * sysfs `<mdev>/remove` (`remove_store` → `mdev_device_remove`): unbind the driver (`remove`) and delete
 * the mdev. In the model the driver's `remove` may refuse with EBUSY (its vfio device is open; the kernel
 * blocks until it is closed): the mdev then stays, active.
 * @throws KernelError ENODEV (not on the bus), EAGAIN (being removed), the driver's error.
 */
export function mdevDeviceRemove(mdev: MdevDevice): void {
  const bus = MdevBus.of(mdev.parent.host);
  if (bus.devices.get(mdev.uuid) !== mdev) throw new KernelError('ENODEV', `mdev ${mdev.uuid} is gone`);
  if (!mdev.active) throw new KernelError('EAGAIN', `mdev ${mdev.uuid} is being removed`);
  mdevDeviceRemoveCommon(mdev);
}

/** @internal `mdev_device_remove_common`: the driver's `remove`, then the mdev leaves the bus. */
export function mdevDeviceRemoveCommon(mdev: MdevDevice): void {
  mdev.active = false;
  try {
    mdev.parent.driver.remove(mdev);
  } catch (e) {
    mdev.active = true;
    throw e;
  }
  MdevBus.of(mdev.parent.host).devices.delete(mdev.uuid);
  mdev.drvdata = undefined;
}
