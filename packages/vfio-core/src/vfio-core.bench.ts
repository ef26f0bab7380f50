import { Process, UserMemory } from '@vfio-sim/platform';
import { bench, describe } from 'vitest';
import { RamBar } from './__fixtures__/ram-bar.js';
import { PciHost } from './pci/pci-host.js';
import { vfioPciIoctlGetRegionInfo } from './pci-core/ioctl.js';
import type { VfioPciCoreDevice } from './pci-core/vfio-pci-core-device.js';
import { vfioPciDriver } from './pci-core/vfio-pci-driver.js';
import { VFIO_DEVICE_GET_REGION_INFO } from './uapi/ioctl.js';
import { vfio_region_info } from './uapi/region-info.js';
import { VFIO_PCI_INDEX_TO_OFFSET } from './uapi/regions.js';
import { Vfio } from './vfio/vfio.js';

// One VF-like function bound to plain vfio-pci (every op is vfio-pci-core's), opened by a VMM process.
const bar2 = new RamBar(0x10000);
bar2.logging = false;
const host = new PciHost('bench');
host.pciDriverRegister(vfioPciDriver());
const pdev = host.addFunction({
  name: '0000:75:00.1',
  vendor: 0x19e5,
  device: 0xa251,
  revision: 0x30,
  bars: [undefined, undefined, bar2],
});
host.setDriverOverride(pdev, 'vfio-pci');
host.probe(pdev);
const process = new Process(new UserMemory());
const dev = Vfio.of(host).openDevice(process, pdev.name);
const vdev = pdev.drvdata as VfioPciCoreDevice;
const map = dev.mmap(2, 0x10000);
const BAR2 = VFIO_PCI_INDEX_TO_OFFSET(2);
const buf = process.mm.alloc(8, 8);
const N = 1000;
const out = { sink: 0 };

describe('4-byte BAR2 read ×1000', () => {
  bench('baseline MmioRegion.readl', () => {
    let s = 0;
    for (let i = 0; i < N; i++) s ^= bar2.readl((i * 4) & 0xfffc);
    out.sink ^= s;
  });
  bench('mmap mapping readl (bounds-checked)', () => {
    let s = 0;
    for (let i = 0; i < N; i++) s ^= map.readl((i * 4) & 0xfffc);
    out.sink ^= s;
  });
  bench('pread(2) on the device fd (Process → fops → vfio_pci_core_read → copy_to_user)', () => {
    let s = 0;
    for (let i = 0; i < N; i++) {
      process.pread(dev.fd, buf, 4, BAR2 + ((i * 4) & 0xfffc));
      s ^= process.mm.readU32(buf);
    }
    out.sink ^= s;
  });
});

describe('VFIO_DEVICE_GET_REGION_INFO (BAR2) ×1000', () => {
  const va = process.mm.pushStruct(vfio_region_info, { ...vfio_region_info.zero(), argsz: 32, index: 2 });
  bench('baseline vfio_pci_ioctl_get_region_info called directly', () => {
    for (let i = 0; i < N; i++) vfioPciIoctlGetRegionInfo(vdev, process, va);
  });
  bench('ioctl(2) on the device fd (Process → vfio_main → ops.ioctl)', () => {
    for (let i = 0; i < N; i++) process.ioctl(dev.fd, VFIO_DEVICE_GET_REGION_INFO, va);
  });
  bench('client getRegionInfo (encode + ioctl + decode)', () => {
    for (let i = 0; i < N; i++) dev.getRegionInfo(2);
  });
});
