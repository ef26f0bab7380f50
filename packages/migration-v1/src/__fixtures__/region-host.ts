import {
  anonInodeGetFile,
  FMODE_PREAD,
  FMODE_PWRITE,
  FMODE_READ,
  FMODE_WRITE,
  Process,
  UserMemory,
} from '@vfio-sim/platform';
import { QemuV1Client, type QemuV1ClientOptions } from '../client/qemu-v1-client.js';
import { ProcessRegionIo } from '../client/region-io.js';
import { MigrationRegionV1 } from '../device/migration-region.js';
import { FakeDevice } from './fake-device.js';

/** The device fd offset of the v1 region: the first device-specific region index, 9 << 40. */
export const REGION_OFFSET = 9 * 2 ** 40;

/**
 * A VMM process with one device fd whose v1 migration region (over a {@link FakeDevice} holding `state`,
 * `precopy` bytes of it offered in pre-copy) sits at index 9, as vfio-pci-core would expose it; and a
 * QEMU v1 client on it. `accesses` logs the size of every pread/pwrite.
 */
export function regionHost(
  state: Uint8Array,
  precopy: number,
  capacity = 16,
  options: QemuV1ClientOptions = {},
) {
  const process = new Process(new UserMemory());
  const device = new FakeDevice(state, precopy);
  const region = new MigrationRegionV1(device, { dataCapacity: capacity });
  device.attach(region);
  const accesses: number[] = [];
  const file = anonInodeGetFile(
    'vfio-device',
    {
      read: (_f, current, buf, count, pos) => {
        accesses.push(count);
        return region.rw(current.mm, buf, count, pos!.value - REGION_OFFSET, false);
      },
      write: (_f, current, buf, count, pos) => {
        accesses.push(count);
        return region.rw(current.mm, buf, count, pos!.value - REGION_OFFSET, true);
      },
    },
    null,
    FMODE_READ | FMODE_WRITE | FMODE_PREAD | FMODE_PWRITE,
  );
  const fd = process.install(file);
  const client = new QemuV1Client(new ProcessRegionIo(process, fd, REGION_OFFSET), region.size, options);
  return { process, fd, device, region, client, accesses };
}
