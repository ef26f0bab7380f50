import { errnoOf, type MmioRegion, Process, UserMemory } from '@vfio-sim/platform';
import {
  PCI_DRIVER_OVERRIDE_DEVICE_VFIO,
  PciHost,
  QemuFileReader,
  QemuFileWriter,
  VFIO_PCI_CORE_OPS,
  Vfio,
  type VfioPciCoreDevice,
  vfioPciCoreEnable,
  vfioPciCoreFinishEnable,
  vfioPciCoreProbe,
} from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { FakeDevice } from '../__fixtures__/fake-device.js';
import { QemuV1Client } from '../client/qemu-v1-client.js';
import { ProcessRegionIo } from '../client/region-io.js';
import { vfioPciRegisterMigrationRegionV1 } from './register.js';

class RamBar implements MmioRegion {
  readonly size = 0x1000;
  readonly bytes = new Uint8Array(this.size);
  readl(o: number) {
    return new DataView(this.bytes.buffer).getUint32(o, true);
  }
  writel(o: number, v: number) {
    new DataView(this.bytes.buffer).setUint32(o, v, true);
  }
  read(o: number, d: Uint8Array) {
    d.set(this.bytes.subarray(o, o + d.length));
  }
  write(o: number, d: Uint8Array) {
    this.bytes.set(d, o);
  }
}

/** A host with one function driven by a v1 variant driver whose state is `state`. */
function setup(state: Uint8Array) {
  const host = new PciHost('h');
  const device = new FakeDevice(state, 4);
  let released = 0;
  host.pciDriverRegister({
    name: 'v1-variant',
    idTable: [PCI_DRIVER_OVERRIDE_DEVICE_VFIO(0x1234, 0x5678)],
    probe(pdev) {
      vfioPciCoreProbe(pdev, {
        ...VFIO_PCI_CORE_OPS,
        name: 'v1-variant',
        openDevice(vdev) {
          vfioPciCoreEnable(vdev as VfioPciCoreDevice);
          const { region } = vfioPciRegisterMigrationRegionV1(
            vdev as VfioPciCoreDevice,
            device,
            { dataCapacity: 8 },
            () => released++,
          );
          device.attach(region);
          vfioPciCoreFinishEnable(vdev as VfioPciCoreDevice);
        },
      });
    },
  });
  const pdev = host.addFunction({
    name: '0000:01:00.0',
    vendor: 0x1234,
    device: 0x5678,
    revision: 1,
    bars: [new RamBar()],
  });
  host.setDriverOverride(pdev, 'v1-variant');
  host.probe(pdev);
  const process = new Process(new UserMemory(), 'qemu');
  const handle = Vfio.of(host).openDevice(process, pdev.name);
  return { handle, process, device, released: () => released };
}

describe('vfioPciRegisterMigrationRegionV1', () => {
  it('adds region 9 with the migration TYPE capability; QEMU moves the state through it', () => {
    const state = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
    const src = setup(state);
    const info = src.handle.getRegionInfo(9);
    expect(info.size).toBe(32 + 8);
    expect(info.caps).toContainEqual(expect.objectContaining({ type: 3, subtype: 1 }));
    const io = new ProcessRegionIo(src.process, src.handle.fd, src.handle.regionOffset(9));
    const client = new QemuV1Client(io, info.size);
    const sections: Uint8Array[] = [];
    const w = () => new QemuFileWriter();
    const a = w();
    client.saveSetup(a);
    sections.push(a.toBytes());
    const b = w();
    client.savePending();
    client.saveIterate(b);
    sections.push(b.toBytes());
    client.vmStop();
    const c = w();
    client.saveComplete(c);
    sections.push(c.toBytes());

    const dst = setup(new Uint8Array(0));
    const d = new QemuV1Client(
      new ProcessRegionIo(dst.process, dst.handle.fd, dst.handle.regionOffset(9)),
      info.size,
    );
    d.loadSetup();
    for (const s of sections) d.loadState(new QemuFileReader(s));
    d.vmStart();
    expect(dst.device.loaded).toEqual([...state]);
    expect(errnoOf(() => dst.handle.pread(dst.handle.regionOffset(9) + 40, 1))).toBe('EINVAL');
    dst.handle.close();
    expect(dst.released()).toBe(1);
  });
});
