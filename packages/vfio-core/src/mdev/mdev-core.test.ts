import { errnoOf, KernelError, Process, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { PciHost } from '../pci/pci-host.js';
import { Vfio } from '../vfio/vfio.js';
import { VfioDevice } from '../vfio/vfio-device.js';
import {
  vfioAllocDevice,
  vfioPutDevice,
  vfioRegisterEmulatedIommuDev,
  vfioUnregisterGroupDev,
} from '../vfio/vfio-register.js';
import { MdevBus } from './mdev-bus.js';
import { type MdevDevice, mdevDeviceCreate, mdevDeviceRemove } from './mdev-device.js';
import { type MdevDriver, type MdevType, VFIO_DEVICE_API_PCI_STRING } from './mdev-driver.js';
import { MdevParent, mdevRegisterParent, mdevUnregisterParent } from './mdev-parent.js';

const U1 = '83b8f4f2-509f-382f-3c1e-e6bfe0fa1001';
const U2 = '83b8f4f2-509f-382f-3c1e-e6bfe0fa1002';
const SMALL: MdevType = { sysfsName: 'small', prettyName: 'Small', slots: 1 } as MdevType;
const BIG: MdevType = { sysfsName: 'big', prettyName: 'Big', slots: 3 } as MdevType;
const slots = (t: MdevType) => (t as MdevType & { slots: number }).slots;

/** A parent with a pool of 4 slots, shared by its mdevs (what mtty does with its ports). */
class PoolParent extends MdevParent {
  free = 4;
  readonly events: string[] = [];
}

const POOL_DRIVER: MdevDriver = {
  name: 'pool',
  deviceApi: VFIO_DEVICE_API_PCI_STRING,
  probe(mdev: MdevDevice) {
    const parent = mdev.parent as PoolParent;
    const vdev = vfioAllocDevice(
      new VfioDevice(mdev.uuid, {
        name: 'vfio-pool',
        init() {
          if (parent.free < slots(mdev.type)) throw new KernelError('ENOSPC', 'pool exhausted');
          parent.free -= slots(mdev.type);
        },
        release() {
          parent.free += slots(mdev.type);
        },
      }),
    );
    vfioRegisterEmulatedIommuDev(parent.host, vdev);
    mdev.drvdata = vdev;
    parent.events.push(`probe ${mdev.uuid}`);
  },
  remove(mdev: MdevDevice) {
    const vdev = mdev.drvdata as VfioDevice;
    vfioUnregisterGroupDev(vdev);
    vfioPutDevice(vdev);
    (mdev.parent as PoolParent).events.push(`remove ${mdev.uuid}`);
  },
  getAvailable: (parent, type) => Math.floor((parent as PoolParent).free / slots(type)),
};

function bed() {
  const host = new PciHost('h');
  const parent = new PoolParent(host, 'pool', POOL_DRIVER, [SMALL, BIG]);
  mdevRegisterParent(parent);
  return { host, parent, vfio: Vfio.of(host) };
}

describe('mdev_register_parent / mdev_unregister_parent', () => {
  it('offers the types as <parent>-<sysfs_name> with available_instances from get_available', () => {
    const { host, parent } = bed();
    expect(MdevBus.of(host).parent('pool')).toBe(parent);
    expect(parent.types.map((t) => parent.typeName(t))).toEqual(['pool-small', 'pool-big']);
    expect(parent.availableInstances('pool-small')).toBe(4);
    expect(parent.availableInstances(BIG)).toBe(1);
    expect(errnoOf(() => parent.type('pool-huge'))).toBe('ENOENT');
  });

  it('refuses a second parent of that name (EEXIST), a parent twice (EBUSY), no types (EINVAL), twin types (EEXIST)', () => {
    const { host, parent } = bed();
    expect(errnoOf(() => mdevRegisterParent(new PoolParent(host, 'pool', POOL_DRIVER, [SMALL])))).toBe(
      'EEXIST',
    );
    expect(errnoOf(() => mdevRegisterParent(parent))).toBe('EBUSY');
    expect(errnoOf(() => mdevRegisterParent(new PoolParent(host, 'none', POOL_DRIVER, [])))).toBe('EINVAL');
    const twins = new PoolParent(host, 'twins', POOL_DRIVER, [SMALL, { sysfsName: 'small' }]);
    expect(errnoOf(() => mdevRegisterParent(twins))).toBe('EEXIST');
    expect([...MdevBus.of(host).parents.keys()]).toEqual(['pool']);
  });

  it('unregistering removes every mdev (driver remove), then the parent; creating on it is ENODEV', () => {
    const { host, parent, vfio } = bed();
    mdevDeviceCreate(parent, 'pool-small', U1);
    mdevDeviceCreate(parent, 'pool-small', U2);
    mdevUnregisterParent(parent);
    expect(parent.events).toEqual([`probe ${U1}`, `probe ${U2}`, `remove ${U1}`, `remove ${U2}`]);
    expect(MdevBus.of(host).devices.size).toBe(0);
    expect(vfio.list()).toEqual([]);
    expect(parent.free).toBe(4);
    expect(errnoOf(() => MdevBus.of(host).parent('pool'))).toBe('ENODEV');
    expect(errnoOf(() => mdevDeviceCreate(parent, 'pool-small', U1))).toBe('ENODEV');
  });
});

describe('mdev_device_create / mdev_device_remove (sysfs create, remove)', () => {
  it('creates an mdev named by its UUID whose vfio device a process can open', () => {
    const { host, parent, vfio } = bed();
    const mdev = mdevDeviceCreate(parent, 'pool-big', U1.toUpperCase());
    expect(mdev.name).toBe(U1);
    expect(mdev.active).toBe(true);
    expect(MdevBus.of(host).device(U1.toUpperCase())).toBe(mdev);
    expect(parent.availableInstances(SMALL)).toBe(1);
    const handle = vfio.openDevice(new Process(new UserMemory()), U1);
    expect((mdev.drvdata as VfioDevice).openCount).toBe(1);
    handle.close();
  });

  it('each refusal has its errno and leaves the bus as it was', () => {
    const { host, parent } = bed();
    mdevDeviceCreate(parent, 'pool-big', U1);
    const before = [...MdevBus.of(host).devices.keys()];
    expect(errnoOf(() => mdevDeviceCreate(parent, 'pool-small', 'not-a-uuid'))).toBe('EINVAL');
    expect(errnoOf(() => mdevDeviceCreate(parent, 'pool-huge', U2))).toBe('ENOENT');
    expect(errnoOf(() => mdevDeviceCreate(parent, { sysfsName: 'stray' }, U2))).toBe('ENOENT');
    expect(errnoOf(() => mdevDeviceCreate(parent, 'pool-small', U1))).toBe('EEXIST');
    // The driver's probe fails (pool has 1 slot left, BIG needs 3): the mdev is gone again.
    expect(errnoOf(() => mdevDeviceCreate(parent, 'pool-big', U2))).toBe('ENOSPC');
    expect([...MdevBus.of(host).devices.keys()]).toEqual(before);
    expect(
      Vfio.of(host)
        .list()
        .map((d) => d.name),
    ).toEqual([U1]);
    expect(parent.free).toBe(1);
  });

  it('remove: EBUSY while the vfio fd is open (the mdev stays), then gone; again ENODEV', () => {
    const { host, parent, vfio } = bed();
    const mdev = mdevDeviceCreate(parent, 'pool-small', U1);
    const handle = vfio.openDevice(new Process(new UserMemory()), U1);
    expect(errnoOf(() => mdevDeviceRemove(mdev))).toBe('EBUSY');
    expect(mdev.active).toBe(true);
    expect(MdevBus.of(host).device(U1)).toBe(mdev);
    expect(errnoOf(() => mdevUnregisterParent(parent))).toBe('EBUSY');
    expect(parent.registered).toBe(true);
    handle.close();
    mdevDeviceRemove(mdev);
    expect(errnoOf(() => MdevBus.of(host).device(U1))).toBe('ENODEV');
    expect(errnoOf(() => vfio.lookup(U1))).toBe('ENODEV');
    expect(parent.free).toBe(4);
    expect(errnoOf(() => mdevDeviceRemove(mdev))).toBe('ENODEV');
  });
});
