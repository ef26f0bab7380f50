import { errnoOf, MAP_SHARED, PROT_READ, Process, UserMemory } from '@vfio-sim/platform';
import {
  mdevDeviceCreate,
  VFIO_DEVICE_FLAGS_PCI,
  VFIO_DEVICE_GET_INFO,
  VFIO_DEVICE_GET_IRQ_INFO,
  VFIO_DEVICE_GET_REGION_INFO,
  VFIO_DEVICE_SET_IRQS,
  VFIO_IRQ_INFO_AUTOMASKED,
  VFIO_IRQ_INFO_EVENTFD,
  VFIO_IRQ_INFO_MASKABLE,
  VFIO_IRQ_INFO_NORESIZE,
  VFIO_PCI_BAR0_REGION_INDEX,
  VFIO_PCI_BAR1_REGION_INDEX,
  VFIO_PCI_CONFIG_REGION_INDEX,
  VFIO_PCI_INDEX_TO_OFFSET,
  VFIO_PCI_INTX_IRQ_INDEX,
  VFIO_PCI_MSI_IRQ_INDEX,
  VFIO_PCI_MSIX_IRQ_INDEX,
  VFIO_PCI_ROM_REGION_INDEX,
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
  Vfio,
  vfio_device_info,
  vfio_irq_info,
  vfio_region_info,
} from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { mttyBed, mttyHost, portBytes, uuid } from '../__fixtures__/mtty-host.js';
import { UART_LCR, UART_SCR, UART_TX } from '../uapi/serial-reg.js';
import { MTTY_PCI_ID } from './config-space.js';

const CFG = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX);
const BAR0 = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_BAR0_REGION_INDEX);
const BAR1 = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_BAR1_REGION_INDEX);

function irqInfo(handle: ReturnType<typeof mttyBed>['handle'], index: number, argsz = vfio_irq_info.size) {
  return handle.ioctl(VFIO_DEVICE_GET_IRQ_INFO, vfio_irq_info, { argsz, flags: 0, index, count: 0 }).out;
}

describe('mtty ioctls (mtty_ioctl)', () => {
  it('GET_INFO: a PCI device with 9 regions and 5 IRQ indexes; a bad pointer EFAULT, argsz < 16 EINVAL', () => {
    const { handle, mdevState } = mttyBed();
    expect(handle.getInfo()).toEqual({ flags: VFIO_DEVICE_FLAGS_PCI, numRegions: 9, numIrqs: 5 });
    for (const cmd of [VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_GET_IRQ_INFO]) {
      expect(errnoOf(() => handle.ioctl(cmd, 0))).toBe('EFAULT');
    }
    mdevState.devInfoNumIrqs = 0;
    const short = { ...vfio_device_info.zero(), argsz: 15 };
    expect(errnoOf(() => handle.ioctl(VFIO_DEVICE_GET_INFO, vfio_device_info, short))).toBe('EINVAL');
    expect(mdevState.devInfoNumIrqs).toBe(0); // nothing recorded
  });

  it('GET_REGION_INFO: config 0xff, BAR0 8, BAR1 8 on two ports (0 on one), the rest 0; all READ|WRITE', () => {
    const rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
    for (const ports of [1, 2] as const) {
      const { handle } = mttyBed('h', ports);
      const sizes = Array.from({ length: 9 }, (_, i) => handle.getRegionInfo(i));
      expect(sizes.map((r) => r.size)).toEqual([8, ports === 2 ? 8 : 0, 0, 0, 0, 0, 0, 0xff, 0]);
      expect(sizes.every((r, i) => r.flags === rw && r.offset === VFIO_PCI_INDEX_TO_OFFSET(i))).toBe(true);
    }
  });

  it('GET_REGION_INFO: argsz < 32 or index ≥ 9 → EINVAL', () => {
    const { handle, mdevState } = mttyBed();
    const ask = (index: number, argsz: number) =>
      handle.ioctl(VFIO_DEVICE_GET_REGION_INFO, vfio_region_info, {
        ...vfio_region_info.zero(),
        argsz,
        index,
      });
    expect(errnoOf(() => ask(9, 32))).toBe('EINVAL');
    expect(errnoOf(() => ask(0, 31))).toBe('EINVAL');
    expect([...mdevState.regionSize]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]); // nothing recorded
  });

  it('GET_IRQ_INFO: INTx maskable+automasked, MSI noresize, count 1; other indexes EINVAL', () => {
    const { handle } = mttyBed();
    expect(irqInfo(handle, VFIO_PCI_INTX_IRQ_INDEX)).toMatchObject({
      flags: VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED,
      count: 1,
    });
    expect(irqInfo(handle, VFIO_PCI_MSI_IRQ_INDEX)).toMatchObject({
      flags: VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
      count: 1,
    });
    expect(errnoOf(() => irqInfo(handle, VFIO_PCI_MSIX_IRQ_INDEX))).toBe('EINVAL');
    expect(errnoOf(() => irqInfo(handle, 5))).toBe('EINVAL');
    expect(errnoOf(() => irqInfo(handle, VFIO_PCI_INTX_IRQ_INDEX, 15))).toBe('EINVAL');
  });

  it('GET_IRQ_INFO before any GET_INFO is EINVAL (the sample checks the index against its dev_info copy)', () => {
    const { host, parent } = mttyHost();
    mdevDeviceCreate(parent, 'mtty-1', uuid(7));
    const handle = Vfio.of(host).openDevice(new Process(new UserMemory()), uuid(7));
    expect(errnoOf(() => irqInfo(handle, VFIO_PCI_INTX_IRQ_INDEX))).toBe('EINVAL');
    handle.getInfo();
    expect(irqInfo(handle, VFIO_PCI_INTX_IRQ_INDEX).count).toBe(1);
  });

  it('SET_IRQS and unknown ioctls are ENOTTY; mmap is EINVAL (no mmap op); nothing changes', () => {
    const { handle, mdevState } = mttyBed();
    const before = portBytes(mdevState);
    expect(errnoOf(() => handle.ioctl(VFIO_DEVICE_SET_IRQS, 0))).toBe('ENOTTY');
    expect(errnoOf(() => handle.ioctl(0x3b99, 0))).toBe('ENOTTY');
    expect(errnoOf(() => handle.process.mmap(handle.fd, 4096, PROT_READ, MAP_SHARED, 0))).toBe('EINVAL');
    expect(portBytes(mdevState)).toEqual(before);
  });
});

describe('mtty read/write (mtty_read, mtty_write, mdev_access)', () => {
  it('config space: the sample header; BAR0 sizing write answers the 8-byte I/O mask', () => {
    const { handle } = mttyBed();
    expect(handle.preadU32(CFG)).toBe(MTTY_PCI_ID);
    expect([...handle.pread(CFG + 8, 4)]).toEqual([0x10, 0x02, 0x00, 0x07]);
    expect(handle.preadU32(CFG + 0x10)).toBe(0x1);
    handle.pwriteU32(CFG + 0x10, 0xffff_ffff);
    expect(handle.preadU32(CFG + 0x10)).toBe(0xffff_fff9);
    handle.pwriteU32(CFG + 0x10, 0xc000);
    expect(handle.preadU32(CFG + 0x10)).toBe(0xc001);
    handle.pwriteU32(CFG + 0x18, 0x1234); // BAR2: reads back 0
    handle.pwrite(CFG + 0x3c, Uint8Array.of(11));
    handle.pwriteU32(CFG + 0x04, 0xffff); // command: ignored
    expect(handle.preadU32(CFG + 0x18)).toBe(0);
    expect(handle.pread(CFG + 0x3c, 2)).toEqual(Uint8Array.of(11, 1));
    expect(handle.preadU32(CFG + 4)).toBe(0x0200_0001);
    expect(new TextDecoder().decode(handle.pread(CFG + 0x60, 15))).toBe('PCI Serial/UART');
  });

  it('BAR1 of a one-port device: sizing write reads back 0 in config space; accesses are EFAULT', () => {
    const { handle, mdevState } = mttyBed('h', 1);
    handle.pwriteU32(CFG + 0x14, 0xffff_ffff);
    expect(handle.preadU32(CFG + 0x14)).toBe(0);
    expect(errnoOf(() => handle.pwrite(BAR1 + UART_TX, Uint8Array.of(1)))).toBe('EFAULT');
    expect(mdevState.s[1].count).toBe(0);
  });

  it('a multi-byte access is split 4/2/1 by alignment; BAR writes use the low byte of each', () => {
    const { handle, mdevState } = mttyBed();
    handle.pwrite(BAR0 + UART_SCR, Uint8Array.of(0x77));
    expect(handle.pwrite(BAR0 + 1, Uint8Array.of(0, 0, 0))).toBe(3); // IER (1 byte) + FCR/LCR (2 bytes: FCR gets 0)
    handle.pwrite(BAR0, Uint8Array.of(0x41, 0x99, 0x99, 0x99)); // one 4-byte access: THR gets 0x41
    expect([...mdevState.s[0].fifo()]).toEqual([0x41]);
    expect([...handle.pread(BAR0, 4)]).toEqual([0x41, 0, 0, 0]);
    expect(handle.pread(BAR0 + UART_SCR, 1)[0]).toBe(0x77);
    expect(handle.pread(BAR0 + UART_LCR, 1)[0]).toBe(0);
  });

  it('the ROM, VGA and device-specific regions, and config past 0xff, are EFAULT with nothing changed', () => {
    const { handle, mdevState } = mttyBed();
    const cfg = mdevState.vconfig.slice();
    expect(errnoOf(() => handle.pread(VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_ROM_REGION_INDEX), 4))).toBe(
      'EFAULT',
    );
    expect(errnoOf(() => handle.pread(VFIO_PCI_INDEX_TO_OFFSET(9), 1))).toBe('EFAULT');
    expect(errnoOf(() => handle.pread(CFG + 0xfc, 4))).toBe('EFAULT');
    expect(errnoOf(() => handle.pwrite(CFG + 0xff, Uint8Array.of(1)))).toBe('EFAULT');
    expect(mdevState.vconfig).toEqual(cfg);
  });
});
