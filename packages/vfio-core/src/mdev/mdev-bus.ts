import { KernelError } from '@vfio-sim/platform';
import type { PciBus } from '../pci/pci-dev.js';
import type { MdevDevice } from './mdev-device.js';
import type { MdevParent } from './mdev-parent.js';

const instances = new WeakMap<PciBus, MdevBus>();

/**
 * The mediated-device bus of one simulated host: the registered parents (`/sys/class/mdev_bus/<name>`)
 * and every mdev created on them (the kernel's `mdev_list`, `/sys/bus/mdev/devices/<uuid>`). Parents
 * register with `mdevRegisterParent`, users create and remove mdevs with `mdevDeviceCreate` /
 * `mdevDeviceRemove`; this object is the lookup both use.
 *
 * Kernel counterpart: `mdev_bus_type` and `mdev_list` (drivers/vfio/mdev/mdev_core.c, mdev_driver.c).
 */
export class MdevBus {
  /** Registered parents, by device name. */
  readonly parents = new Map<string, MdevParent>();
  /** Created mdevs, by UUID (lower case, as `dev_name()` prints it). */
  readonly devices = new Map<string, MdevDevice>();

  private constructor(readonly host: PciBus) {}

  /** The mdev bus of `host` (created on first use). */
  static of(host: PciBus): MdevBus {
    let bus = instances.get(host);
    if (bus === undefined) {
      bus = new MdevBus(host);
      instances.set(host, bus);
    }
    return bus;
  }

  /** The parent named `name`. @throws KernelError ENODEV */
  parent(name: string): MdevParent {
    const p = this.parents.get(name);
    if (p === undefined) throw new KernelError('ENODEV', `no mdev parent "${name}" on ${this.host.name}`);
    return p;
  }

  /** The mdev `uuid` (any case). @throws KernelError ENODEV */
  device(uuid: string): MdevDevice {
    const d = this.devices.get(uuid.toLowerCase());
    if (d === undefined) throw new KernelError('ENODEV', `no mdev ${uuid} on ${this.host.name}`);
    return d;
  }
}
