import { errnoOf, KernelError, Process, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import {
  FIXTURE_DRIVER,
  FIXTURE_OPS,
  type FixtureVfDevice,
  testbed,
} from '../__fixtures__/variant-driver.js';
import { vfioPciCoreProbe, vfioPciCoreRegisterDevice } from '../pci-core/register.js';
import { VfioPciCoreDevice } from '../pci-core/vfio-pci-core-device.js';
import { VFIO_MIGRATION_PRE_COPY, VFIO_MIGRATION_STOP_COPY } from '../uapi/device-feature.js';
import { VFIO_PCI_INDEX_TO_OFFSET } from '../uapi/regions.js';
import type { VfioMigrationOps } from './vfio-device.js';

describe('device fd lifecycle', () => {
  it('first open calls open_device, last close close_device (regions released, function reset)', () => {
    const { vfio, process, vdev, resets } = testbed();
    const a = vfio.openDevice(process, '0000:75:00.1');
    const b = vfio.openDevice(process, '0000:75:00.1');
    expect(vdev.openCount).toBe(2);
    expect(vdev.events).toEqual(['open']);
    expect(resets).toEqual(['vf0']); // vfio_pci_core_enable resets the function
    a.close();
    expect(vdev.regions.length).toBe(1);
    b.close();
    expect(vdev.openCount).toBe(0);
    expect(vdev.regions.length).toBe(0);
    expect(vdev.regionReleased).toBe(1);
    expect(resets).toEqual(['vf0', 'vf0']); // and the last close resets it again
  });

  it('a closed fd answers EBADF on every path and changes nothing', () => {
    const { vfio, process, vdev, bar2 } = testbed();
    const dev = vfio.openDevice(process, '0000:75:00.1');
    dev.close();
    bar2.log.length = 0;
    expect(errnoOf(() => dev.pread(VFIO_PCI_INDEX_TO_OFFSET(2), 4))).toBe('EBADF');
    expect(errnoOf(() => dev.pwrite(VFIO_PCI_INDEX_TO_OFFSET(2), new Uint8Array(4)))).toBe('EBADF');
    expect(errnoOf(() => dev.getInfo())).toBe('EBADF');
    expect(errnoOf(() => dev.mmap(2, 4096))).toBe('EBADF');
    expect(errnoOf(() => dev.getMigState())).toBe('EBADF');
    expect(errnoOf(() => dev.close())).toBe('EBADF');
    expect(bar2.log).toEqual([]);
    expect(vdev.openCount).toBe(0);
  });

  it('an open_device failure fails the open and leaves the count at 0', () => {
    const { host, vf, process, vfio } = testbed({
      ops: {
        ...FIXTURE_OPS,
        openDevice() {
          throw new KernelError('EIO', 'cannot map BAR2');
        },
      },
    });
    expect(vf.driver?.name).toBe(FIXTURE_DRIVER);
    expect(errnoOf(() => vfio.openDevice(process, '0000:75:00.1'))).toBe('EIO');
    expect((vf.drvdata as FixtureVfDevice).openCount).toBe(0);
    expect(process.openFds()).toEqual([]);
    expect(host.name).toBe('testbed');
  });

  it('unknown names are ENODEV; match accepts a vf_token suffix', () => {
    const { vfio, process } = testbed();
    expect(errnoOf(() => vfio.openDevice(process, '0000:75:00.2'))).toBe('ENODEV');
    expect(vfio.openDevice(process, '0000:75:00.1 vf_token=00000000-0000-0000-0000-000000000000').fd).toBe(3);
  });

  it('unbinding while open asks request() and refuses with EBUSY; after close it unregisters', () => {
    const { host, vf, vfio, process } = testbed();
    const other = new Process(new UserMemory(), 'other');
    const dev = vfio.openDevice(process, '0000:75:00.1');
    expect(errnoOf(() => host.unbind(vf))).toBe('EBUSY');
    expect(vfio.list().length).toBe(1);
    dev.close();
    host.unbind(vf);
    expect(vfio.list()).toEqual([]);
    expect(errnoOf(() => vfio.openDevice(other, '0000:75:00.1'))).toBe('ENODEV');
  });
});

describe('registration checks (vfio_pci_core_register_device)', () => {
  function device(flags: number, mig: Partial<VfioMigrationOps> | undefined) {
    const { vf, host } = testbed({ migration: false });
    host.unbind(vf);
    const vdev = new VfioPciCoreDevice(vf, FIXTURE_OPS);
    vdev.migrationFlags = flags;
    vdev.migOps = mig as VfioMigrationOps | undefined;
    return vdev;
  }
  const full: VfioMigrationOps = {
    migrationSetState: () => undefined,
    migrationGetState: () => 2,
    migrationGetDataSize: () => 0,
  };

  it('mig_ops need all three callbacks and STOP_COPY; otherwise EINVAL and nothing registered', () => {
    for (const [flags, mig] of [
      [VFIO_MIGRATION_PRE_COPY, full],
      [VFIO_MIGRATION_STOP_COPY, { ...full, migrationGetDataSize: undefined }],
      [VFIO_MIGRATION_STOP_COPY, { migrationSetState: full.migrationSetState }],
    ] as const) {
      const vdev = device(flags, mig as Partial<VfioMigrationOps>);
      expect(errnoOf(() => vfioPciCoreRegisterDevice(vdev))).toBe('EINVAL');
      expect(vdev.registered).toBe(false);
    }
    const ok = device(VFIO_MIGRATION_STOP_COPY, full);
    vfioPciCoreRegisterDevice(ok);
    expect(ok.registered).toBe(true);
    expect(errnoOf(() => vfioPciCoreRegisterDevice(new VfioPciCoreDevice(ok.pdev, FIXTURE_OPS)))).toBe(
      'EEXIST',
    );
  });

  it('log_ops need all three callbacks', () => {
    const vdev = device(0, undefined);
    vdev.logOps = { logStart: () => 4096, logStop: () => {} } as never;
    expect(errnoOf(() => vfioPciCoreRegisterDevice(vdev))).toBe('EINVAL');
  });

  it('a failing probe (bad mig flags) leaves the function unbound', () => {
    const { vf, host } = testbed({ migration: false });
    host.unbind(vf);
    expect(
      errnoOf(() =>
        vfioPciCoreProbe<VfioPciCoreDevice>(vf, FIXTURE_OPS, {
          create: (p, o) => {
            const d = new VfioPciCoreDevice(p, o);
            d.migOps = full;
            return d;
          },
        }),
      ),
    ).toBe('EINVAL');
    expect(vf.drvdata).toBeUndefined();
  });
});
