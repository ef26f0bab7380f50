import type { QemuV1Client } from '@vfio-sim/migration-v1';
import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { Vfio } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { MIG_REGION_INDEX, makeHost, VF_NAME, v1Client } from '../__fixtures__/testbed.js';

/*
 * The RFC's hisi_acc_vfio_pci_open registered the v1 migration region (hisi_acc_vfio_pci_init →
 * vfio_pci_register_dev_region) and could leave it behind on a later failure of the open. The merged
 * driver's hisi_acc_vfio_pci_open_device undoes a failed hisi_acc_vf_qm_init with vfio_pci_core_disable,
 * which releases every device region. Here the fault is an ioremap() of BAR2 that fails after the region
 * is registered.
 */
describe('a fault on open_device after the v1 region is registered', () => {
  function closedHost() {
    const h = makeHost(new VirtualClock(), 'h');
    h.handle.close(); // the testbed opened the device; start from a closed one
    expect([h.hdev.openCount, h.hdev.regions.length, h.hdev.enabled]).toEqual([0, 0, false]);
    return h;
  }

  it('the open fails with EIO and nothing stays: region released, function disabled, no mapping, no fd', () => {
    const h = closedHost();
    const fds = h.process.openFds();
    h.hdev.window.failIoremap = true;
    expect(errnoOf(() => Vfio.of(h.host).openDevice(h.process, VF_NAME))).toBe('EIO');
    expect(h.hdev.regions).toEqual([]); // vfio_pci_core_disable ran the region's release
    expect(h.hdev.migRegionV1).toBeUndefined();
    expect(h.hdev.enabled).toBe(false);
    expect(h.hdev.openCount).toBe(0);
    expect([h.hdev.window.isIoremapped, h.hdev.window.isMapped]).toEqual([false, false]);
    expect(h.process.openFds()).toEqual(fds);
  });

  it('a later open works: the v1 region is back (one of it, index 9) and migrates; close releases it again', () => {
    const h = closedHost();
    h.hdev.window.failIoremap = true;
    for (let i = 0; i < 3; i++)
      expect(errnoOf(() => Vfio.of(h.host).openDevice(h.process, VF_NAME))).toBe('EIO');
    h.hdev.window.failIoremap = false;
    const handle = Vfio.of(h.host).openDevice(h.process, VF_NAME);
    expect(h.hdev.regions).toHaveLength(1);
    expect(handle.getInfo().numRegions).toBe(MIG_REGION_INDEX + 1);
    expect(handle.getRegionInfo(MIG_REGION_INDEX).size).toBe(200);
    expect(h.hdev.window.isIoremapped).toBe(true);
    const s: QemuV1Client = v1Client({ ...h, handle });
    s.setState(~0, 3); // RUNNING → pre-copy: the match data
    expect(s.savePending()).toBe(32);
    handle.close();
    expect([h.hdev.regions.length, h.hdev.enabled, h.hdev.window.isIoremapped]).toEqual([0, false, false]);
  });
});
