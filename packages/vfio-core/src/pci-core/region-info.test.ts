import { errnoOf, type UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { RamBar } from '../__fixtures__/ram-bar.js';
import { FIXTURE_REGION_SIZE, testbed } from '../__fixtures__/variant-driver.js';
import { VFIO_DEVICE_FLAGS_PCI, VFIO_DEVICE_FLAGS_RESET, vfio_device_info } from '../uapi/device-info.js';
import { VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO } from '../uapi/ioctl.js';
import {
  VFIO_REGION_INFO_CAP_SPARSE_MMAP,
  VFIO_REGION_INFO_CAP_TYPE,
  VFIO_REGION_INFO_FLAG_CAPS,
  VFIO_REGION_INFO_FLAG_MMAP,
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
  VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
  VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
  VFIO_REGION_TYPE_PCI_VENDOR_TYPE,
  vfio_region_info,
} from '../uapi/region-info.js';
import { VFIO_PCI_INDEX_TO_OFFSET, VFIO_PCI_NUM_IRQS } from '../uapi/regions.js';
import { vfioPciCoreRegisterDevRegion } from './dev-region.js';
import { VfioPciMapping } from './mapping.js';

const RW = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

function opened() {
  const tb = testbed();
  const dev = tb.vfio.openDevice(tb.process, '0000:75:00.1');
  return { ...tb, dev };
}

describe('VFIO_DEVICE_GET_INFO', () => {
  it('reports PCI|RESET, 9 + device regions, 5 irqs', () => {
    const { dev } = opened();
    expect(dev.getInfo()).toEqual({
      flags: VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
      numRegions: 10,
      numIrqs: VFIO_PCI_NUM_IRQS,
    });
  });

  it('argsz below 16 is EINVAL and the struct is untouched', () => {
    const { dev } = opened();
    const va = dev.process.mm.pushStruct(vfio_device_info, {
      ...vfio_device_info.zero(),
      argsz: 15,
      flags: 7,
    });
    expect(errnoOf(() => dev.ioctl(VFIO_DEVICE_GET_INFO, va))).toBe('EINVAL');
    expect(dev.process.mm.readStruct(vfio_device_info, va)).toEqual({
      ...vfio_device_info.zero(),
      argsz: 15,
      flags: 7,
    });
    expect(errnoOf(() => dev.ioctl(VFIO_DEVICE_GET_INFO, 0))).toBe('EFAULT');
  });
});

describe('VFIO_DEVICE_GET_REGION_INFO (vfio-pci-core)', () => {
  it('describes BARs, ROM and config at index << 40; an absent BAR has flags 0', () => {
    const { dev } = opened();
    expect(dev.getRegionInfo(0)).toEqual({ index: 0, flags: 0, size: 0, offset: 0, caps: [] });
    // BAR1 is 256 bytes: not page-sized, so not mmap-capable.
    expect(dev.getRegionInfo(1)).toMatchObject({
      flags: RW,
      size: 0x100,
      offset: VFIO_PCI_INDEX_TO_OFFSET(1),
    });
    expect(dev.getRegionInfo(4)).toMatchObject({ flags: RW | VFIO_REGION_INFO_FLAG_MMAP, size: 0x10000 });
    expect(dev.getRegionInfo(6)).toMatchObject({ flags: VFIO_REGION_INFO_FLAG_READ, size: 8192 });
    expect(dev.getRegionInfo(7)).toMatchObject({ flags: RW, size: 4096, offset: 0x700_0000_0000 });
  });

  it('the variant override reports half of BAR2', () => {
    const { dev } = opened();
    expect(dev.getRegionInfo(2)).toMatchObject({
      flags: RW | VFIO_REGION_INFO_FLAG_MMAP,
      size: 0x8000,
      offset: 0x200_0000_0000,
    });
  });

  it('a device-specific region comes with a TYPE capability; small argsz gets the needed size', () => {
    const { dev } = opened();
    const first = dev.ioctlStruct(VFIO_DEVICE_GET_REGION_INFO, vfio_region_info, {
      ...vfio_region_info.zero(),
      argsz: 32,
      index: 9,
      cap_offset: 0x55,
    });
    expect(first.out.argsz).toBe(48);
    expect(first.out.cap_offset).toBe(0);
    expect(first.out.flags).toBe(RW | VFIO_REGION_INFO_FLAG_CAPS);
    expect(dev.getRegionInfo(9)).toEqual({
      index: 9,
      flags: RW | VFIO_REGION_INFO_FLAG_CAPS,
      size: FIXTURE_REGION_SIZE,
      offset: 0x900_0000_0000,
      caps: [
        {
          id: VFIO_REGION_INFO_CAP_TYPE,
          version: 1,
          type: VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
          subtype: VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
        },
      ],
    });
  });

  it('bad input: argsz < 32, index out of range, VGA absent, bad pointer — each leaves the struct as it was', () => {
    const { dev } = opened();
    const mm: UserMemory = dev.process.mm;
    for (const [argsz, index, errno] of [
      [31, 0, 'EINVAL'],
      [32, 10, 'EINVAL'],
      [32, 0xffff_ffff, 'EINVAL'],
      [32, 8, 'EINVAL'],
    ] as const) {
      const value = { ...vfio_region_info.zero(), argsz, index, cap_offset: 3, size: 5n, offset: 6n };
      const va = mm.pushStruct(vfio_region_info, value);
      expect(errnoOf(() => dev.ioctl(VFIO_DEVICE_GET_REGION_INFO, va))).toBe(errno);
      expect(mm.readStruct(vfio_region_info, va)).toEqual(value);
    }
    expect(errnoOf(() => dev.ioctl(VFIO_DEVICE_GET_REGION_INFO, 8))).toBe('EFAULT');
  });

  it('an unknown ioctl is ENOTTY', () => {
    const { dev } = opened();
    expect(errnoOf(() => dev.ioctl(0x3b7f, 0))).toBe('ENOTTY');
    expect(errnoOf(() => dev.ioctl(0x3b6d, 0))).toBe('ENOTTY');
  });
});

describe('device-specific regions with their own capabilities and mmap', () => {
  it('add_capability chains after TYPE (next offsets from the buffer start); mmap goes to the region op', () => {
    const tb = testbed();
    const backing = new RamBar(0x2000);
    const dev = tb.vfio.openDevice(tb.process, '0000:75:00.1');
    const index = vfioPciCoreRegisterDevRegion(
      tb.vdev,
      VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x19e5,
      7,
      {
        rw: () => 0,
        addCapability: (_v, _r, caps) => caps.addSparseMmap([{ offset: 0x1000, size: 0x1000 }]),
        mmap: (_v, _r, vma) => new VfioPciMapping(backing, 0, vma.length, 10),
      },
      0x2000,
      RW | VFIO_REGION_INFO_FLAG_MMAP,
    );
    expect(index).toBe(10);
    const info = dev.getRegionInfo(10);
    expect(info.caps).toEqual([
      {
        id: VFIO_REGION_INFO_CAP_TYPE,
        version: 1,
        type: (VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x19e5) >>> 0,
        subtype: 7,
      },
      { id: VFIO_REGION_INFO_CAP_SPARSE_MMAP, version: 1, areas: [{ offset: 0x1000, size: 0x1000 }] },
    ]);
    const raw = dev.ioctlStruct(
      VFIO_DEVICE_GET_REGION_INFO,
      vfio_region_info,
      { ...vfio_region_info.zero(), argsz: 128, index: 10 },
      128,
    );
    expect(raw.out.cap_offset).toBe(32);
    expect(new DataView(raw.bytes.buffer).getUint32(32 + 4, true)).toBe(48); // TYPE.next → sparse cap
    dev.mmap(10, 0x1000).writel(4, 9);
    expect(backing.readl(4)).toBe(9);
  });
});
