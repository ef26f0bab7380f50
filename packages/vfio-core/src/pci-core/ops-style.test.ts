import { errnoOf, type FilePosition, type Task } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { type FixtureVfDevice, fixtureIoctl, testbed } from '../__fixtures__/variant-driver.js';
import { VFIO_DEVICE_STATE_STOP } from '../uapi/device-feature.js';
import { VFIO_PCI_INDEX_TO_OFFSET } from '../uapi/regions.js';
import type { VfioDeviceOps } from '../vfio/vfio-device.js';
import { VFIO_PCI_CORE_OPS } from './core-ops.js';
import { vfioPciRw } from './rdwr.js';
import type { VfioOpsStyle } from './vfio-pci-core-device.js';

/** A driver that overrides only ioctl, written the way each style expects. */
const only = { name: 'ioctl-only', ioctl: fixtureIoctl } as VfioDeviceOps<FixtureVfDevice>;
const TABLES: Record<VfioOpsStyle, VfioDeviceOps<FixtureVfDevice>> = {
  explicit: { ...VFIO_PCI_CORE_OPS, name: 'ioctl-only', ioctl: fixtureIoctl },
  fallback: only,
  merged: only,
};

/** Everything a user can observe through the device fd, as data. */
function observe(style: VfioOpsStyle) {
  const tb = testbed({ opsStyle: style, ops: TABLES[style] });
  const dev = tb.vfio.openDevice(tb.process, '0000:75:00.1');
  const seen: unknown[] = [];
  const attempt = (f: () => unknown) => {
    try {
      seen.push(f());
    } catch (e) {
      seen.push(
        errnoOf(() => {
          throw e;
        }),
      );
    }
  };
  attempt(() => dev.getInfo());
  for (let i = 0; i <= 10; i++) attempt(() => dev.getRegionInfo(i));
  attempt(() => dev.pwrite(VFIO_PCI_INDEX_TO_OFFSET(2) + 0x10, Uint8Array.of(1, 2, 3, 4)));
  attempt(() => [...dev.pread(VFIO_PCI_INDEX_TO_OFFSET(2) + 0x10, 8)]);
  attempt(() => dev.pread(VFIO_PCI_INDEX_TO_OFFSET(2) + 0xfffc, 8).length); // core, not clamped: no override
  attempt(() => dev.preadU32(VFIO_PCI_INDEX_TO_OFFSET(7)));
  attempt(() => dev.mmap(2, 0x10000).size);
  attempt(() => dev.mmap(6, 0x1000));
  attempt(() => dev.getMigrationFlags());
  attempt(() => dev.setMigState(VFIO_DEVICE_STATE_STOP));
  attempt(() => dev.ioctl(0x3b7f));
  attempt(() => dev.reset());
  dev.close();
  seen.push(tb.bar2.log, tb.resets, tb.vdev.openCount, tb.vdev.migState);
  return seen;
}

describe('ops styles: explicit, fallback and merged', () => {
  it('behave identically for a driver that overrides only ioctl', () => {
    const explicit = observe('explicit');
    expect(observe('fallback')).toEqual(explicit);
    expect(observe('merged')).toEqual(explicit);
    expect(explicit).toContainEqual(expect.objectContaining({ index: 2, size: 0x8000 }));
  });

  it('explicit takes a missing op literally: read/mmap answer EINVAL (vfio_main)', () => {
    const tb = testbed({ opsStyle: 'explicit', ops: only });
    // No open_device either: the open succeeds without enabling the device.
    const dev = tb.vfio.openDevice(tb.process, '0000:75:00.1');
    expect(errnoOf(() => dev.pread(VFIO_PCI_INDEX_TO_OFFSET(2), 4))).toBe('EINVAL');
    expect(errnoOf(() => dev.mmap(2, 4096))).toBe('EINVAL');
    expect(dev.getRegionInfo(2).size).toBe(0x8000);
  });

  it('fallback looks the driver op up at every call; merged froze the table at creation', () => {
    const calls: string[] = [];
    const mutable: VfioDeviceOps<FixtureVfDevice> = { name: 'late', ioctl: fixtureIoctl };
    const fb = testbed({ opsStyle: 'fallback', ops: mutable });
    const mg = testbed({ opsStyle: 'merged', ops: mutable });
    mutable.read = (vdev: FixtureVfDevice, current: Task, buf: number, count: number, pos: FilePosition) => {
      calls.push(vdev.opsStyle);
      return vfioPciRw(vdev, current, buf, count, pos, false);
    };
    fb.vfio.openDevice(fb.process, '0000:75:00.1').preadU32(VFIO_PCI_INDEX_TO_OFFSET(2));
    mg.vfio.openDevice(mg.process, '0000:75:00.1').preadU32(VFIO_PCI_INDEX_TO_OFFSET(2));
    expect(calls).toEqual(['fallback']);
    expect(Object.isFrozen(mg.vdev.ops)).toBe(true);
  });
});
