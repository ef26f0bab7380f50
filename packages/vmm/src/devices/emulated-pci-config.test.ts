import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import {
  PCI_BASE_ADDRESS_0,
  PCI_COMMAND,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_DEVICE_ID,
  PCI_VENDOR_ID,
  QemuFileReader,
  QemuFileWriter,
  VFIO_PCI_CONFIG_REGION_INDEX,
} from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { createHost } from '../host/host.js';
import { assignGuestBars } from '../simulation/guest-firmware.js';
import { Vm } from '../vm/vm.js';
import { type InterruptSetup, VFIO_INT_MSI, VFIO_INT_NONE } from './emulated-pci-config.js';
import { realizeVfioPci, type VfioPciDevice } from './vfio-pci-device.js';

/** A VM on its own host of `kind` with VF `index` passed through. */
function passedThrough(kind: 'zip' | 'sec' = 'zip', name = 'g') {
  const host = createHost({ name: `${name}-host`, clock: new VirtualClock(), kind, numVfs: 1 });
  const vm = Vm.create({ name, host, memorySize: 8 << 20 });
  return realizeVfioPci(vm, host.assignable[0]!);
}

/** The device's own command register, read through the VM's device fd. */
function physicalCommand(dev: VfioPciDevice): number {
  const b = dev.handle.pread(dev.handle.regionOffset(VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND), 2);
  return (b[0] as number) | ((b[1] as number) << 8);
}

/** The guest's firmware assigns `dev`'s BARs, its driver enables it with `setup`'s interrupts. */
function bringUp(dev: VfioPciDevice, setup: InterruptSetup): void {
  assignGuestBars([dev]);
  dev.config.enable(setup);
}

/** Everything a refused access or load must leave alone. */
function stateOf(dev: VfioPciDevice) {
  return { bytes: [...dev.config.bytes], interrupts: dev.config.interrupts, command: physicalCommand(dev) };
}

/** `dev`'s CONFIG payload, as `vfio_pci_save_config` writes it. */
function saved(dev: VfioPciDevice): Uint8Array {
  const w = new QemuFileWriter();
  dev.config.save(w);
  return w.toBytes();
}

describe('EmulatedPciConfig', () => {
  it('at realize: the device identity as read from its config region; BARs unassigned; decoding off', () => {
    const dev = passedThrough();
    const vendor = dev.handle.pread(dev.handle.regionOffset(VFIO_PCI_CONFIG_REGION_INDEX, 0), 4);
    expect(dev.config.read(PCI_VENDOR_ID, 2)).toBe((vendor[0] as number) | ((vendor[1] as number) << 8));
    expect(dev.config.read(PCI_VENDOR_ID, 2)).toBe(0x19e5);
    expect(dev.config.read(PCI_DEVICE_ID, 2)).toBe((vendor[2] as number) | ((vendor[3] as number) << 8));
    expect(dev.config.read(PCI_COMMAND, 2)).toBe(0);
    expect(dev.config.read(PCI_BASE_ADDRESS_0, 4)).toBe(0);
    expect(dev.config.interrupts).toEqual({ type: VFIO_INT_NONE, vectors: [] });
  });

  it('BAR sizing: all-ones reads back the region size mask; identity bytes are read-only', () => {
    const dev = passedThrough();
    const size = dev.handle.getRegionInfo(2).size;
    dev.config.write(PCI_BASE_ADDRESS_0 + 8, 4, 0xffff_ffff);
    expect(dev.config.read(PCI_BASE_ADDRESS_0 + 8, 4)).toBe((~(size - 1) & ~0xf) >>> 0);
    const vendor = dev.config.read(PCI_VENDOR_ID, 2);
    dev.config.write(PCI_VENDOR_ID, 2, 0x1234);
    expect(dev.config.read(PCI_VENDOR_ID, 2)).toBe(vendor);
  });

  it('brought up: BARs at naturally aligned guest addresses, memory + bus master forwarded to the device', () => {
    const dev = passedThrough();
    bringUp(dev, { type: 'msi', vectors: 3 });
    const bar2 = dev.config.read(PCI_BASE_ADDRESS_0 + 8, 4);
    const size = dev.handle.getRegionInfo(2).size;
    expect(bar2).not.toBe(0);
    expect(bar2 % size).toBe(0);
    expect(dev.config.read(PCI_BASE_ADDRESS_0 + 16, 4) % dev.handle.getRegionInfo(4).size).toBe(0);
    const command = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    expect(dev.config.read(PCI_COMMAND, 2)).toBe(command);
    expect(physicalCommand(dev) & command).toBe(command);
    expect(dev.config.interrupts.type).toBe(VFIO_INT_MSI);
    expect(dev.config.interrupts.vectors.map((v) => v.data)).toEqual([0, 1, 2]);
  });

  it.each([
    ['past the end', 0x100, 1],
    ['unaligned', 0x3, 2],
    ['negative', -4, 4],
  ] as const)('an access %s is EINVAL and changes nothing', (_, offset, width) => {
    const dev = passedThrough();
    bringUp(dev, { type: 'msi', vectors: 1 });
    const before = stateOf(dev);
    expect(errnoOf(() => dev.config.read(offset, width))).toBe('EINVAL');
    expect(errnoOf(() => dev.config.write(offset, width, 0xffff_ffff))).toBe('EINVAL');
    expect(stateOf(dev)).toEqual(before);
  });

  it('save → load onto a device of the same model: the same config, interrupts and command', () => {
    const src = passedThrough('zip', 'src');
    bringUp(src, { type: 'msi', vectors: 3 });
    const dst = passedThrough('zip', 'dst');
    dst.config.load(new QemuFileReader(saved(src)));
    expect([...dst.config.bytes]).toEqual([...src.config.bytes]);
    expect(dst.config.interrupts).toEqual(src.config.interrupts);
    expect(physicalCommand(dst) & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)).toBe(
      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
    );
  });

  it('load onto a different device (SEC config → ZIP VF) is EINVAL "Bad config data"; nothing changes', () => {
    const src = passedThrough('sec', 'src');
    bringUp(src, { type: 'msi', vectors: 3 });
    const dst = passedThrough('zip', 'dst');
    const before = stateOf(dst);
    let message = '';
    expect(
      errnoOf(() => {
        try {
          dst.config.load(new QemuFileReader(saved(src)));
        } catch (e) {
          message = (e as Error).message;
          throw e;
        }
      }),
    ).toBe('EINVAL');
    expect(message).toMatch(/Bad config data: i=0x2 /);
    expect(stateOf(dst)).toEqual(before);
  });

  it.each([
    ['cut short', (b: Uint8Array) => b.subarray(0, b.length - 3), 'EIO'],
    ['an unknown interrupt type', (b: Uint8Array) => withBe32(b, 256 + 16, 9), 'EINVAL'],
  ] as const)('a CONFIG payload %s fails with %s; nothing changes', (_, corrupt, errno) => {
    const src = passedThrough('zip', 'src');
    bringUp(src, { type: 'msi', vectors: 2 });
    const dst = passedThrough('zip', 'dst');
    const before = stateOf(dst);
    expect(errnoOf(() => dst.config.load(new QemuFileReader(corrupt(saved(src)))))).toBe(errno);
    expect(stateOf(dst)).toEqual(before);
  });
});

/** A copy of `b` with the big-endian u32 at `at` set to `v`. */
function withBe32(b: Uint8Array, at: number, v: number): Uint8Array {
  const out = b.slice();
  new DataView(out.buffer).setUint32(at, v);
  return out;
}
