import { errnoOf, type Process } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { testbed } from '../__fixtures__/variant-driver.js';
import {
  VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
  VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
  VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
  VFIO_DEVICE_FEATURE_GET,
  VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
  VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
  VFIO_DEVICE_FEATURE_MIGRATION,
  VFIO_DEVICE_FEATURE_PROBE,
  VFIO_DEVICE_FEATURE_SET,
  VFIO_DEVICE_STATE_RESUMING,
  VFIO_DEVICE_STATE_RUNNING,
  VFIO_DEVICE_STATE_STOP,
  VFIO_DEVICE_STATE_STOP_COPY,
  VFIO_MIGRATION_STOP_COPY,
  vfio_device_feature,
  vfio_device_feature_mig_state,
} from '../uapi/device-feature.js';
import { VFIO_DEVICE_FEATURE } from '../uapi/ioctl.js';
import { vfioCheckFeature } from './device-feature.js';

const GET = VFIO_DEVICE_FEATURE_GET;
const SET = VFIO_DEVICE_FEATURE_SET;
const PROBE = VFIO_DEVICE_FEATURE_PROBE;

function opened(options: Parameters<typeof testbed>[0] = {}) {
  const tb = testbed(options);
  const dev = tb.vfio.openDevice(tb.process, '0000:75:00.1');
  return { ...tb, dev };
}

/** Raw VFIO_DEVICE_FEATURE with a header of our choosing; returns the errno (or undefined). */
function rawFeature(p: Process, fd: number, argsz: number, flags: number, payload = 8): string | undefined {
  const va = p.mm.alloc(8 + payload, 8);
  p.mm.copyToUser(va, vfio_device_feature.encode({ argsz, flags }));
  return errnoOf(() => p.ioctl(fd, VFIO_DEVICE_FEATURE, va));
}

describe('vfio_check_feature', () => {
  it('follows the kernel order: unsupported op, PROBE, no op, short payload, execute', () => {
    expect(errnoOf(() => vfioCheckFeature(SET | PROBE, 8, GET, 8))).toBe('EINVAL');
    expect(vfioCheckFeature(GET | PROBE, 0, GET, 8)).toBe(0);
    expect(vfioCheckFeature(PROBE, 0, GET, 8)).toBe(0);
    expect(errnoOf(() => vfioCheckFeature(0, 8, GET, 8))).toBe('EINVAL');
    expect(errnoOf(() => vfioCheckFeature(GET, 7, GET, 8))).toBe('EINVAL');
    expect(vfioCheckFeature(GET, 8, GET, 8)).toBe(1);
  });
});

describe('VFIO_DEVICE_FEATURE header checks (vfio_main)', () => {
  it('argsz < 8, unknown flags, GET+SET without PROBE → EINVAL; bad pointer → EFAULT; state unchanged', () => {
    const { dev, process, vdev } = opened();
    expect(rawFeature(process, dev.fd, 7, VFIO_DEVICE_FEATURE_MIGRATION | GET)).toBe('EINVAL');
    expect(rawFeature(process, dev.fd, 16, VFIO_DEVICE_FEATURE_MIGRATION | GET | (1 << 19))).toBe('EINVAL');
    expect(rawFeature(process, dev.fd, 16, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | GET | SET)).toBe('EINVAL');
    expect(errnoOf(() => process.ioctl(dev.fd, VFIO_DEVICE_FEATURE, 4))).toBe('EFAULT');
    expect(vdev.migState).toBe(VFIO_DEVICE_STATE_RUNNING);
    expect(vdev.events).toEqual(['open']);
  });

  it('PROBE answers per feature and op; GET+SET with PROBE is allowed', () => {
    const { dev } = opened();
    expect(dev.probeFeature(VFIO_DEVICE_FEATURE_MIGRATION, GET)).toBe(true);
    expect(dev.probeFeature(VFIO_DEVICE_FEATURE_MIGRATION, SET)).toBe(false);
    expect(dev.probeFeature(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, GET | SET)).toBe(true);
    expect(dev.probeFeature(VFIO_DEVICE_FEATURE_DMA_LOGGING_START, SET)).toBe(true);
    expect(dev.probeFeature(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, SET)).toBe(false);
  });

  it('features vfio_main does not own go to device_feature (vfio-pci-core: ENOTTY)', () => {
    const { dev, process } = opened();
    expect(rawFeature(process, dev.fd, 8, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY | SET)).toBe('ENOTTY');
    expect(rawFeature(process, dev.fd, 8, 0x1234 | GET)).toBe('ENOTTY');
  });
});

describe('migration features', () => {
  it('MIGRATION GET returns migration_flags; MIG_DATA_SIZE returns stop_copy_length', () => {
    const { dev } = opened();
    expect(dev.getMigrationFlags()).toBe(VFIO_MIGRATION_STOP_COPY);
    expect(dev.getMigDataSize()).toBe(8);
    expect(dev.getMigState()).toBe(VFIO_DEVICE_STATE_RUNNING);
  });

  it('MIG_DEVICE_STATE SET returns a data fd installed in the caller only when the driver opens a file', () => {
    const { dev, process, vdev } = opened();
    expect(dev.setMigState(VFIO_DEVICE_STATE_STOP)).toBeUndefined();
    const fd = dev.setMigState(VFIO_DEVICE_STATE_STOP_COPY);
    expect(fd).toBe(4);
    expect(dev.getMigState()).toBe(VFIO_DEVICE_STATE_STOP_COPY);
    vdev.regionData.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const buf = process.mm.alloc(16);
    expect(process.read(fd!, buf, 16)).toBe(8);
    expect(process.read(fd!, buf, 16)).toBe(0);
    process.close(fd!);
    expect(dev.setMigState(VFIO_DEVICE_STATE_STOP)).toBeUndefined();
    const rfd = dev.setMigState(VFIO_DEVICE_STATE_RESUMING);
    expect(process.openFds()).toEqual([3, rfd]);
    expect(dev.getMigState()).toBe(VFIO_DEVICE_STATE_RESUMING);
  });

  it('a refused SET copies back the requested state with data_fd -1 and returns the driver errno', () => {
    const { dev, process, vdev } = opened();
    const va = process.mm.alloc(16, 8);
    process.mm.copyToUser(
      va,
      vfio_device_feature.encode({ argsz: 16, flags: VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | SET }),
    );
    process.mm.copyToUser(va + 8, vfio_device_feature_mig_state.encode({ device_state: 42, data_fd: 7 }));
    expect(errnoOf(() => process.ioctl(dev.fd, VFIO_DEVICE_FEATURE, va))).toBe('EINVAL');
    expect(process.mm.readStruct(vfio_device_feature_mig_state, va + 8)).toEqual({
      device_state: 42,
      data_fd: 0xffff_ffff,
    });
    expect(vdev.migState).toBe(VFIO_DEVICE_STATE_RUNNING);
    expect(process.openFds()).toEqual([3]);
  });

  it('short payloads are EINVAL and reach no driver', () => {
    const { dev, process, vdev } = opened();
    expect(rawFeature(process, dev.fd, 15, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | SET)).toBe('EINVAL');
    expect(rawFeature(process, dev.fd, 15, VFIO_DEVICE_FEATURE_MIGRATION | GET)).toBe('EINVAL');
    expect(rawFeature(process, dev.fd, 15, VFIO_DEVICE_FEATURE_MIG_DATA_SIZE | GET)).toBe('EINVAL');
    expect(vdev.events).toEqual(['open']);
  });

  it('without mig_ops/log_ops every migration and logging feature is ENOTTY, even PROBE', () => {
    const { dev, process } = opened({ migration: false });
    for (const f of [
      VFIO_DEVICE_FEATURE_MIGRATION | GET,
      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | SET,
      VFIO_DEVICE_FEATURE_MIG_DATA_SIZE | GET,
      VFIO_DEVICE_FEATURE_DMA_LOGGING_START | SET,
      VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP | SET,
      VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT | GET,
      VFIO_DEVICE_FEATURE_MIGRATION | PROBE,
    ]) {
      expect(rawFeature(process, dev.fd, 40, f, 32)).toBe('ENOTTY');
    }
  });
});

describe('DMA logging features', () => {
  it('START validates ranges, STOP ends, REPORT sets bits in the user bitmap and clears the log', () => {
    const { dev, vdev } = opened();
    expect(dev.dmaLoggingStart([{ iova: 0x10000, length: 0x10000 }], 4096)).toBe(4096);
    expect(vdev.logging).toEqual([{ iova: 0x10000, length: 0x10000 }]);
    expect(errnoOf(() => dev.dmaLoggingStart([{ iova: 0, length: 4096 }], 4096))).toBe('EBUSY');
    vdev.dirty.push({ iova: 0x11000, length: 0x2000 });
    const bits = dev.dmaLoggingReport(0x10000, 0x10000, 4096);
    expect(bits[0]).toBe(0b0110);
    expect(dev.dmaLoggingReport(0x10000, 0x10000, 4096)[0]).toBe(0);
    dev.dmaLoggingStop();
    expect(vdev.logging).toBeUndefined();
  });

  it('the range array and the report bitmap are freed after their call, also when it fails', () => {
    const { dev, process } = opened();
    const { used, blocks } = process.mm.heapStats(); // the handle's scratch area only
    dev.dmaLoggingStart([{ iova: 0x10000, length: 0x10000 }], 4096);
    dev.dmaLoggingReport(0x10000, 0x10000, 4096);
    expect(errnoOf(() => dev.dmaLoggingStart([{ iova: 0, length: 4096 }], 4096))).toBe('EBUSY');
    expect(errnoOf(() => dev.dmaLoggingReport(0, 0x10000, 2048))).toBe('EINVAL');
    expect(process.mm.heapStats()).toMatchObject({ used, blocks });
  });

  it('bad ranges and report arguments fail with the kernel errnos and start nothing', () => {
    const { dev, vdev } = opened();
    expect(errnoOf(() => dev.dmaLoggingStart([], 4096))).toBe('EINVAL');
    expect(errnoOf(() => dev.dmaLoggingStart([{ iova: 0x800, length: 4096 }], 4096))).toBe('EINVAL');
    expect(
      errnoOf(() =>
        dev.dmaLoggingStart(
          [
            { iova: 0, length: 0x2000 },
            { iova: 0x1000, length: 0x1000 },
          ],
          4096,
        ),
      ),
    ).toBe('EINVAL');
    const many = Array.from({ length: 257 }, (_, i) => ({ iova: i * 4096, length: 4096 }));
    expect(errnoOf(() => dev.dmaLoggingStart(many, 4096))).toBe('E2BIG');
    expect(errnoOf(() => dev.dmaLoggingStart([{ iova: 2 ** 53, length: 4096 }], 4096))).toBe('EOVERFLOW');
    expect(vdev.logging).toBeUndefined();
    expect(errnoOf(() => dev.dmaLoggingReport(0, 4096, 4096))).toBe('EINVAL'); // not started (driver)
    dev.dmaLoggingStart([{ iova: 0, length: 0x10000 }], 4096);
    expect(errnoOf(() => dev.dmaLoggingReport(0, 0x10000, 2048))).toBe('EINVAL');
    expect(errnoOf(() => dev.dmaLoggingReport(0, 0x10000, 3 * 4096))).toBe('EINVAL');
  });
});
