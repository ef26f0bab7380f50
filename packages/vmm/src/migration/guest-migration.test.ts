import { errnoOf, KernelError, VirtualClock } from '@vfio-sim/platform';
import type { GuestVfDriver } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import { hisiAccVfModel } from '../devices/hisi-acc-vf.js';
import { realizeVfioPci } from '../devices/vfio-pci-device.js';
import { createHost } from '../host/host.js';
import { MigrationLink } from '../link/link.js';
import { Vm } from '../vm/vm.js';
import { GuestMigration } from './guest-migration.js';
import { RamPrecopy } from './ram/ram-precopy.js';

function guestOn(o: { iommuDirtyTracking?: boolean } = {}) {
  const clock = new VirtualClock();
  const src = createHost({ name: 'source', clock, kind: 'zip', numVfs: 1, ...o });
  const dst = createHost({ name: 'destination', clock, kind: 'zip', numVfs: 1 });
  const vm = Vm.create({ name: 'guest', host: src, memorySize: 8 << 20 });
  const vf = realizeVfioPci(vm, src.assignable[0]!);
  hisiAccVfModel.probeGuest(vf);
  return { clock, src, dst, vm, vf, link: new MigrationLink(clock) };
}

describe('GuestMigration', () => {
  it('checkDirtyTracking: EOPNOTSUPP when the source IOMMU cannot track dirty pages, unless it is no dirty source', () => {
    const { dst, clock, vm } = guestOn({ iommuDirtyTracking: false });
    const t = clock.now();
    expect(errnoOf(() => GuestMigration.checkDirtyTracking({ source: vm, destination: dst }))).toBe(
      'EOPNOTSUPP',
    );
    expect(clock.now()).toBe(t);
    expect(vm.dirtyLog.isLogging).toBe(false);
    const cpuOnly = { source: vm, destination: dst, dirtySources: { iommu: false } };
    expect(errnoOf(() => GuestMigration.checkDirtyTracking(cpuOnly))).toBeUndefined();
    expect(
      errnoOf(() => GuestMigration.checkDirtyTracking({ source: guestOn().vm, destination: dst })),
    ).toBeUndefined();
  });

  it('the incoming VM waits stopped; the stopped copy leaves both RAMs identical and the vCPU queue moved', () => {
    const { dst, vm, link, clock } = guestOn();
    const guest = new GuestMigration({ source: vm, destination: dst }, link);
    expect(guest.destination.isRunning).toBe(false);
    expect(guest.destination.host).toBe(dst);
    expect(guest.destination.devices.map((d) => d.host)).toEqual([dst.assignable[0]]);
    expect(dst.assignable[0]!.owner).toBe('guest');
    expect(guest.ram).toBeUndefined();
    vm.stop();
    const t = clock.now();
    const stopped = guest.copyStopped();
    expect(stopped.check.mismatchedPages).toEqual([]);
    expect(stopped.guestMemory.bytes).toBeGreaterThan(0);
    expect(clock.now() - t).toBeGreaterThanOrEqual(Math.ceil(stopped.guestMemory.bytes / link.bytesPerUs));
    const report = guest.ramReport(stopped);
    expect([report.mode, report.rounds, report.converged, report.precopyBytes]).toEqual([
      'stop-and-copy',
      [],
      false,
      0,
    ]);
    expect(report.stoppedBytes).toBe(stopped.guestMemory.bytes);
  });

  it('startRamPrecopy starts dirty tracking; abort stops it', () => {
    const { dst, vm, link, src } = guestOn();
    const guest = new GuestMigration({ source: vm, destination: dst }, link);
    guest.startRamPrecopy(src.tracer);
    expect(guest.ram).toBeInstanceOf(RamPrecopy);
    expect(vm.dirtyLog.isLogging).toBe(true);
    guest.abort();
    expect(vm.dirtyLog.isLogging).toBe(false);
  });

  it('resume: a failing device vm_start leaves the destination vCPUs stopped and throws its error', () => {
    const { dst, vm, link } = guestOn();
    const guest = new GuestMigration({ source: vm, destination: dst }, link);
    vm.stop();
    guest.copyStopped();
    const fail = () => {
      throw new KernelError('EIO', 'vm_start');
    };
    expect(errnoOf(() => guest.resume(fail))).toBe('EIO');
    expect(guest.destination.isRunning).toBe(false);
    let started = false;
    const dstVm = guest.resume(() => {
      started = true;
    });
    expect(started).toBe(true);
    const driver = dstVm.devices[0]!.guest as GuestVfDriver;
    expect(driver.qm.qpNum).toBeGreaterThan(0); // rebuilt from the copied RAM: its queue range came along
    expect(dstVm.isRunning).toBe(true);
  });

  it('a destination without a free device of the model: ENODEV, and the incoming VM claimed nothing', () => {
    const { dst, vm, link } = guestOn();
    const other = Vm.create({ name: 'other', host: dst, memorySize: 1 << 20 });
    realizeVfioPci(other, dst.assignable[0]!);
    expect(errnoOf(() => new GuestMigration({ source: vm, destination: dst }, link))).toBe('ENODEV');
    expect(dst.assignable[0]!.owner).toBe('other');
    expect(vm.isRunning).toBe(true);
  });
});
