import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { testbed } from '../__fixtures__/variant-driver.js';
import { vfio_device_info } from '../uapi/device-info.js';
import { VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO } from '../uapi/ioctl.js';
import { vfio_region_info } from '../uapi/region-info.js';
import { VFIO_PCI_INDEX_TO_OFFSET } from '../uapi/regions.js';

describe('VfioDeviceHandle', () => {
  it('ioctl(cmd, layout, value) marshals a struct through user memory', () => {
    const tb = testbed();
    const dev = tb.vfio.openDevice(tb.process, '0000:75:00.1');
    const r = dev.ioctl(VFIO_DEVICE_GET_INFO, vfio_device_info, { ...vfio_device_info.zero(), argsz: 24 });
    expect(r.ret).toBe(0);
    expect(r.out.num_regions).toBe(10);
    const big = dev.ioctl(
      VFIO_DEVICE_GET_REGION_INFO,
      vfio_region_info,
      { ...vfio_region_info.zero(), argsz: 100_000, index: 9 },
      100_000,
    );
    expect(big.out.cap_offset).toBe(32);
  });

  it('preadU32 of a short read is EIO; pread returns what the kernel read', () => {
    const tb = testbed();
    const dev = tb.vfio.openDevice(tb.process, '0000:75:00.1');
    expect(errnoOf(() => dev.preadU32(VFIO_PCI_INDEX_TO_OFFSET(4) + 0xfffe))).toBe('EIO');
    expect(dev.pread(VFIO_PCI_INDEX_TO_OFFSET(4) + 0xfffe, 4).length).toBe(2);
  });

  it('close unmaps the mappings it made, so the last close reaches close_device', () => {
    const tb = testbed();
    const dev = tb.vfio.openDevice(tb.process, '0000:75:00.1');
    const m = dev.mmap(2, 0x1000);
    dev.close();
    expect(m.isMapped).toBe(false);
    expect(tb.vdev.openCount).toBe(0);
    expect(tb.process.openFds()).toEqual([]);
  });

  it('close frees the scratch area, also after it grew: open/use/close leaves the heap as it was', () => {
    const tb = testbed();
    const before = tb.process.mm.heapStats();
    for (let i = 0; i < 100; i++) {
      const dev = tb.vfio.openDevice(tb.process, '0000:75:00.1');
      dev.ioctl(
        VFIO_DEVICE_GET_REGION_INFO,
        vfio_region_info,
        { ...vfio_region_info.zero(), argsz: 100_000, index: 9 },
        100_000,
      );
      dev.close();
    }
    expect(tb.process.mm.heapStats()).toEqual(before);
  });
});
