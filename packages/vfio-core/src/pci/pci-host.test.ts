import { errnoOf, KernelError } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { RamBar } from '../__fixtures__/ram-bar.js';
import {
  PCI_COMMAND,
  PCI_COMMAND_MEMORY,
  PCI_DEVICE_ID,
  PCI_REVISION_ID,
  PCI_VENDOR_ID,
} from './config-space.js';
import {
  pciDisableSriov,
  pciEnableSriov,
  pciIovGetPfDrvdata,
  pciIovVfId,
  pciNumVf,
  pciTryResetFunction,
} from './iov.js';
import {
  type PciDev,
  type PciDriver,
  type PciFunctionDesc,
  parsePciName,
  pciResourceLen,
} from './pci-dev.js';

import { PciHost } from './pci-host.js';
import { PCI_DEVICE, PCI_DRIVER_OVERRIDE_DEVICE_VFIO } from './pci-ids.js';

const HUAWEI = 0x19e5;

function pfDesc(resets: string[] = []): PciFunctionDesc {
  return {
    name: '0000:75:00.0',
    vendor: HUAWEI,
    device: 0xa250,
    revision: 0x30,
    bars: [undefined, undefined, new RamBar(0x10000)],
    reset: () => resets.push('pf'),
    sriov: {
      totalVfs: 4,
      createVf: (i) => ({
        name: `0000:75:00.${i + 1}`,
        vendor: HUAWEI,
        device: 0xa251,
        revision: 0x30,
        bars: [undefined, undefined, new RamBar(0x10000)],
        reset: () => resets.push(`vf${i}`),
      }),
    },
  };
}

function pfDriver(): PciDriver & { probed: string[] } {
  const probed: string[] = [];
  return {
    name: 'hisi_zip',
    idTable: [PCI_DEVICE(HUAWEI, 0xa250)],
    probed,
    probe(pdev) {
      probed.push(pdev.name);
      pdev.drvdata = { qm: 'pf-qm' };
    },
    sriovConfigure(pdev, n) {
      if (n === 0) pciDisableSriov(pdev);
      else pciEnableSriov(pdev, n);
      return n;
    },
  };
}

describe('PciHost: functions, BARs and config space', () => {
  it('adds a function with ids, devfn, BAR resources and a standard header', () => {
    const host = new PciHost();
    const pf = host.addFunction(pfDesc());
    expect(pf.bus).toBe(0x75);
    expect(pf.devfn).toBe(0);
    expect(pciResourceLen(pf, 2)).toBe(0x10000);
    expect(pciResourceLen(pf, 0)).toBe(0);
    expect(pf.resource[2]!.start % 0x10000).toBe(0);
    expect(pf.resource[2]!.mmap).toBe(true);
    expect(pf.config.read(PCI_VENDOR_ID, 2)).toBe(HUAWEI);
    expect(pf.config.read(PCI_DEVICE_ID, 2)).toBe(0xa250);
    expect(pf.config.read(PCI_REVISION_ID, 1)).toBe(0x30);
    expect(pf.cfgSize).toBe(4096);
    expect(host.getSlot(0x75, 0)).toBe(pf);
    expect(host.buses()).toEqual([0x75]);
  });

  it('refuses bad names, duplicates and too many BARs without adding anything', () => {
    const host = new PciHost();
    host.addFunction(pfDesc());
    expect(errnoOf(() => host.addFunction(pfDesc()))).toBe('EEXIST');
    expect(errnoOf(() => host.addFunction({ ...pfDesc(), name: '75:00.0' }))).toBe('EINVAL');
    expect(
      errnoOf(() =>
        host.addFunction({ ...pfDesc(), name: '0000:76:00.0', bars: new Array(7).fill(undefined) }),
      ),
    ).toBe('EINVAL');
    expect(host.functions().map((d) => d.name)).toEqual(['0000:75:00.0']);
    expect(errnoOf(() => parsePciName('0000:00:20.0'))).toBe('EINVAL');
  });

  it('config writes change only the writable bits', () => {
    const pf = new PciHost().addFunction(pfDesc());
    pf.config.write(PCI_COMMAND, 2, 0xffff);
    expect(pf.config.command).toBe(0x0407);
    pf.config.write(PCI_VENDOR_ID, 2, 0x1234);
    expect(pf.config.read(PCI_VENDOR_ID, 2)).toBe(HUAWEI);
    expect(errnoOf(() => pf.config.read(4095, 4))).toBe('EINVAL');
  });
});

describe('PciHost: drivers, driver_override, SR-IOV', () => {
  it('binds by id table at registration and at add; VFs get physfn and a VF id', () => {
    const host = new PciHost();
    const drv = pfDriver();
    host.pciDriverRegister(drv);
    const pf = host.addFunction(pfDesc());
    expect(pf.driver).toBe(drv);
    expect(host.sriovConfigure(pf, 2)).toBe(2);
    const vfs = pf.sriov!.vfs;
    expect(vfs.map((v) => v.name)).toEqual(['0000:75:00.1', '0000:75:00.2']);
    expect(vfs[1]!.physfn).toBe(pf);
    expect(pciIovVfId(vfs[1]!)).toBe(1);
    expect(pciNumVf(pf)).toBe(2);
    expect(pciIovGetPfDrvdata(vfs[0]!, drv)).toEqual({ qm: 'pf-qm' });
    expect(errnoOf(() => pciIovVfId(pf))).toBe('EINVAL');
    expect(errnoOf(() => pciEnableSriov(pf, 1))).toBe('EBUSY');
    expect(host.sriovConfigure(pf, 0)).toBe(0);
    expect(host.find('0000:75:00.1')).toBeUndefined();
  });

  it('pciIovGetPfDrvdata refuses a PF bound to another driver (or unbound) with EINVAL', () => {
    const host = new PciHost();
    const pf = host.addFunction(pfDesc());
    const [vf] = pciEnableSriov(pf, 1);
    expect(errnoOf(() => pciIovGetPfDrvdata(vf!, pfDriver()))).toBe('EINVAL');
    expect(errnoOf(() => pciIovGetPfDrvdata(pf, pfDriver()))).toBe('EINVAL');
  });

  it('override-only entries bind only through driver_override', () => {
    const host = new PciHost();
    const pf = host.addFunction(pfDesc());
    const [vf] = pciEnableSriov(pf, 1) as [PciDev];
    const probed: string[] = [];
    const variant: PciDriver = {
      name: 'hisi-acc-vfio-pci',
      idTable: [PCI_DRIVER_OVERRIDE_DEVICE_VFIO(HUAWEI, 0xa251)],
      probe: (pdev) => void probed.push(pdev.name),
    };
    host.pciDriverRegister(variant);
    expect(vf.driver).toBeUndefined();
    expect(errnoOf(() => host.bind(vf, 'hisi-acc-vfio-pci'))).toBe('ENODEV');
    host.setDriverOverride(vf, 'hisi-acc-vfio-pci');
    expect(host.probe(vf)).toBe(variant);
    expect(probed).toEqual(['0000:75:00.1']);
    expect(errnoOf(() => host.bind(vf, 'hisi-acc-vfio-pci'))).toBe('EBUSY');
    host.unbind(vf);
    expect(vf.driver).toBeUndefined();
    // driver_override naming another driver keeps this one away even with a matching id.
    host.setDriverOverride(vf, 'vfio-pci');
    expect(host.probe(vf)).toBeUndefined();
  });

  it('a failing probe leaves the device unbound and reports the errno on explicit bind', () => {
    const host = new PciHost();
    const pf = host.addFunction(pfDesc());
    const bad: PciDriver = {
      name: 'bad',
      idTable: [PCI_DEVICE(HUAWEI, 0xa250)],
      probe() {
        throw new KernelError('EIO', 'nope');
      },
    };
    host.pciDriverRegister(bad);
    expect(pf.driver).toBeUndefined();
    expect(errnoOf(() => host.bind(pf, 'bad'))).toBe('EIO');
    expect(pf.driver).toBeUndefined();
    expect(pf.drvdata).toBeUndefined();
  });

  it('pciTryResetFunction runs reset_prepare, the reset, reset_done; without a reset method ENOTTY', () => {
    const host = new PciHost();
    const calls: string[] = [];
    const pf = host.addFunction(pfDesc(calls));
    host.pciDriverRegister({
      ...pfDriver(),
      errHandler: {
        resetPrepare: () => calls.push('prepare'),
        resetDone: () => calls.push('done'),
      },
    });
    pf.config.write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    pciTryResetFunction(pf);
    expect(calls).toEqual(['prepare', 'pf', 'done']);
    expect(pf.config.command).toBe(PCI_COMMAND_MEMORY);
    const bare = host.addFunction({ name: '0000:76:00.0', vendor: 1, device: 2, revision: 0, bars: [] });
    expect(errnoOf(() => pciTryResetFunction(bare))).toBe('ENOTTY');
  });
});

describe('PciHost: removal and driver unregistration', () => {
  it('pciUnregisterDriver calls remove on every bound function; removeFunction drops VFs first', () => {
    const host = new PciHost();
    const removed: string[] = [];
    const drv = { ...pfDriver(), remove: (p: PciDev) => void removed.push(p.name) };
    host.pciDriverRegister(drv);
    const pf = host.addFunction(pfDesc());
    expect(errnoOf(() => host.pciDriverRegister(drv))).toBe('EEXIST');
    host.sriovConfigure(pf, 2);
    host.pciUnregisterDriver(drv);
    expect(removed).toEqual(['0000:75:00.0']);
    expect(pf.driver).toBeUndefined();
    expect(host.driver('hisi_zip')).toBeUndefined();
    host.removeFunction(pf);
    expect(host.functions()).toEqual([]);
    expect(errnoOf(() => host.get('0000:75:00.0'))).toBe('ENODEV');
    expect(errnoOf(() => host.removeFunction(pf))).toBe('ENODEV');
  });

  it('sriovConfigure without a driver that supports it is ENOENT; bad VF counts are EINVAL', () => {
    const host = new PciHost();
    const pf = host.addFunction(pfDesc());
    expect(errnoOf(() => host.sriovConfigure(pf, 1))).toBe('ENOENT');
    expect(errnoOf(() => pciEnableSriov(pf, 5))).toBe('EINVAL');
    expect(errnoOf(() => pciEnableSriov(pf, 0))).toBe('EINVAL');
    expect(pf.sriov!.numVfs).toBe(0);
    expect(host.functions().length).toBe(1);
  });
});
