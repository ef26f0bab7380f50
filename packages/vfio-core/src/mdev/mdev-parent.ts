import { KernelError } from '@vfio-sim/platform';
import type { PciBus } from '../pci/pci-dev.js';
import { MdevBus } from './mdev-bus.js';
import { type MdevDevice, mdevDeviceRemoveCommon } from './mdev-device.js';
import type { MdevDriver, MdevType } from './mdev-driver.js';

/**
 * A device that creates mediated devices (kernel `struct mdev_parent` and the `struct device` it is
 * registered for): its name (`dev_name(parent->dev)`, the `/sys/class/mdev_bus/<name>` entry), the
 * driver its mdevs bind to, and the types it offers. Drivers embed it in C (mtty's `struct mtty_dev`);
 * here they may extend it and reach their fields from an mdev with `mdev.parent`.
 *
 * Created by the driver, then registered with {@link mdevRegisterParent} on a host.
 */
export class MdevParent {
  /** True between {@link mdevRegisterParent} and {@link mdevUnregisterParent}. */
  registered = false;

  constructor(
    /** The machine the parent sits on (its vfio devices register in `Vfio.of(host)`). */
    readonly host: PciBus,
    /** `dev_name(parent->dev)`, e.g. `'mtty'`. */
    readonly name: string,
    /** `mdev_driver`: binds to every mdev this parent creates. */
    readonly driver: MdevDriver,
    /** `types`: what `mdev_supported_types/` lists. */
    readonly types: readonly MdevType[],
  ) {}

  /** The sysfs directory name of `type`: `<parent>-<sysfs_name>` (e.g. `mtty-2`). */
  typeName(type: MdevType): string {
    return `${this.name}-${type.sysfsName}`;
  }

  /** The type whose directory is `name` (`mtty-2`). @throws KernelError ENOENT (no such directory) */
  type(name: string): MdevType {
    const t = this.types.find((type) => this.typeName(type) === name);
    if (t === undefined) throw new KernelError('ENOENT', `${this.name}: no mdev type ${name}`);
    return t;
  }

  /** sysfs `available_instances` of a type: the driver's `get_available`. */
  availableInstances(type: MdevType | string): number {
    return this.driver.getAvailable(this, typeof type === 'string' ? this.type(type) : type);
  }

  /** The mdevs created on this parent, in creation order. */
  children(): MdevDevice[] {
    return [...MdevBus.of(this.host).devices.values()].filter((d) => d.parent === this);
  }
}

/**
 * `mdev_register_parent`: offer `parent`'s types on its host (`mdev_supported_types/<parent>-<type>/`
 * with `create`, `available_instances`, `name`, `device_api`).
 * @throws KernelError EBUSY (already registered), EEXIST (a parent of that name on the host, or two types
 * with one sysfs name), EINVAL (no types).
 */
export function mdevRegisterParent(parent: MdevParent): void {
  if (parent.registered) throw new KernelError('EBUSY', `mdev parent ${parent.name} is already registered`);
  const bus = MdevBus.of(parent.host);
  if (bus.parents.has(parent.name)) {
    throw new KernelError('EEXIST', `an mdev parent "${parent.name}" is registered on ${parent.host.name}`);
  }
  if (parent.types.length === 0) throw new KernelError('EINVAL', `mdev parent ${parent.name}: no types`);
  const names = new Set(parent.types.map((t) => parent.typeName(t)));
  if (names.size !== parent.types.length) {
    throw new KernelError('EEXIST', `mdev parent ${parent.name}: two types share a sysfs name`);
  }
  bus.parents.set(parent.name, parent);
  parent.registered = true;
}

/**
 * `mdev_unregister_parent`: remove every mdev of the parent (each one's driver `remove`), then withdraw
 * the types. In the model a `remove` can refuse with EBUSY (its vfio device is still open; the kernel
 * waits instead): the error propagates, the mdevs removed so far stay removed, and the parent stays
 * registered.
 */
export function mdevUnregisterParent(parent: MdevParent): void {
  if (!parent.registered) return;
  for (const mdev of parent.children()) mdevDeviceRemoveCommon(mdev);
  MdevBus.of(parent.host).parents.delete(parent.name);
  parent.registered = false;
}
