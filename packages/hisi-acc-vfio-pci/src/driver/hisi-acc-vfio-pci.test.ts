import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { QmDevice } from '@vfio-sim/qm-hw';
import { PciHost, VfioPciCoreDevice, vfioPciDriver } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { MIG_REGION_INDEX, makeHost, PF_NAME, VF_NAME } from '../__fixtures__/testbed.js';
import { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import { hisiQmPfPciDriver } from '../pf/hisi-qm-pf-driver.js';
import { qmPciBoardAttach } from '../pf/qm-pci-board.js';
import { HISI_ACC_VFIO_PCI, HISI_ACC_VFIO_PCI_OPS, hisiAccVfioPciDriver } from './hisi-acc-vfio-pci.js';

/** A host with the PF driver bound (or not) and VFs enabled in hardware and on PCI. */
function bareHost(o: { version?: 0x20 | 0x21 | 0x30; bindPf?: boolean } = {}) {
  const clock = new VirtualClock();
  const device = new QmDevice({ kind: 'zip', clock, version: o.version ?? 0x30 });
  const host = new PciHost('h');
  const pfDriver = hisiQmPfPciDriver('zip');
  host.pciDriverRegister(pfDriver);
  host.pciDriverRegister(hisiAccVfioPciDriver);
  const pf = qmPciBoardAttach(host, device, PF_NAME);
  host.probe(pf);
  host.sriovConfigure(pf, 2);
  if (o.bindPf === false) host.unbind(pf);
  return { host, pf, device };
}

describe('hisi-acc-vfio-pci probe', () => {
  it('binds a VF only through driver_override, with migration when the PF QM is V3', () => {
    const { host } = bareHost();
    const vf = host.get(VF_NAME);
    expect(host.probe(vf)).toBeUndefined();
    expect(vf.driver).toBeUndefined();
    host.setDriverOverride(vf, HISI_ACC_VFIO_PCI);
    expect(host.probe(vf)?.name).toBe(HISI_ACC_VFIO_PCI);
    const hdev = vf.drvdata as HisiAccVfCoreDevice;
    expect(hdev).toBeInstanceOf(HisiAccVfCoreDevice);
    expect(hdev.vfId).toBe(1);
    expect(host.get('0000:75:00.2').driver).toBeUndefined();
    host.setDriverOverride(host.get('0000:75:00.2'), HISI_ACC_VFIO_PCI);
    host.probe(host.get('0000:75:00.2'));
    expect((host.get('0000:75:00.2').drvdata as HisiAccVfCoreDevice).vfId).toBe(2);
  });

  it('has no sriov_configure: it never drives a PF', () => {
    expect(hisiAccVfioPciDriver.sriovConfigure).toBeUndefined();
  });

  it('QM V2 (0x21): generic passthrough ops, no BAR2 split, no migration region', () => {
    const { host } = bareHost({ version: 0x21 });
    const vf = host.get(VF_NAME);
    host.setDriverOverride(vf, HISI_ACC_VFIO_PCI);
    host.probe(vf);
    expect(vf.drvdata).toBeInstanceOf(VfioPciCoreDevice);
    expect(vf.drvdata).not.toBeInstanceOf(HisiAccVfCoreDevice);
    expect((vf.drvdata as VfioPciCoreDevice).ops).toBe(HISI_ACC_VFIO_PCI_OPS);
  });

  it('PF driver not bound: generic ops (the VF cannot be migrated)', () => {
    const { host } = bareHost({ bindPf: false });
    const vf = host.find(VF_NAME);
    // Unbinding the PF disables its VFs: nothing to bind at all.
    expect(vf).toBeUndefined();
  });

  it('a PF bound to another driver gives the VF no PF QM', () => {
    const clock = new VirtualClock();
    const device = new QmDevice({ kind: 'zip', clock });
    const host = new PciHost('h');
    host.pciDriverRegister(hisiAccVfioPciDriver);
    const pf = qmPciBoardAttach(host, device, PF_NAME);
    device.sriovEnable(1);
    host.pciDriverRegister(vfioPciDriver());
    host.setDriverOverride(pf, 'vfio-pci');
    host.probe(pf);
    host.enableSriov(pf, 1);
    const vf = host.get(VF_NAME);
    host.setDriverOverride(vf, HISI_ACC_VFIO_PCI);
    host.probe(vf);
    expect(vf.drvdata).not.toBeInstanceOf(HisiAccVfCoreDevice);
  });

  it('an open device has the v1 migration region (type 3 / subtype 1, 200 bytes, no mmap)', () => {
    const h = makeHost(new VirtualClock(), 'h');
    const info = h.handle.getRegionInfo(MIG_REGION_INDEX);
    expect(info.size).toBe(200);
    expect(info.flags & 0x7).toBe(0x3);
    expect(info.caps).toContainEqual(expect.objectContaining({ id: 2, type: 3, subtype: 1 }));
    expect(errnoOf(() => h.handle.getRegionInfo(MIG_REGION_INDEX + 1))).toBe('EINVAL');
  });
});
