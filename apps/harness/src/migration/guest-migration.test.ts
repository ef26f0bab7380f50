import { errnoOf, KernelError, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { attachVf, probeGuestVfDriver } from '../guest/vf-passthrough.js';
import { Vm } from '../guest/vm.js';
import { createHost } from '../host/host.js';
import { GuestMigration } from './guest-migration.js';
import { MigrationLink } from './link.js';
import { RamPrecopy } from './ram-precopy.js';

function guestOn(o: { iommuDirtyTracking?: boolean } = {}) {
  const clock = new VirtualClock();
  const src = createHost({ name: 'source', clock, kind: 'zip', numVfs: 1, ...o });
  const dst = createHost({ name: 'destination', clock, kind: 'zip', numVfs: 1 });
  const vm = Vm.create({ name: 'guest', clock, memorySize: 8 << 20 });
  const vf = attachVf(vm, src);
  probeGuestVfDriver(vf);
  return { clock, src, dst, vm, vf, link: new MigrationLink(clock) };
}

describe('GuestMigration', () => {
  it('checkDirtyTracking: EOPNOTSUPP when the source IOMMU cannot track dirty pages, unless it is no dirty source', () => {
    const { vf, dst, clock, vm } = guestOn({ iommuDirtyTracking: false });
    const t = clock.now();
    expect(errnoOf(() => GuestMigration.checkDirtyTracking({ source: vf, destination: dst }))).toBe(
      'EOPNOTSUPP',
    );
    expect(clock.now()).toBe(t);
    expect(vm.dirtyLog.isLogging).toBe(false);
    const cpuOnly = { source: vf, destination: dst, dirtySources: { iommu: false } };
    expect(errnoOf(() => GuestMigration.checkDirtyTracking(cpuOnly))).toBeUndefined();
    expect(
      errnoOf(() => GuestMigration.checkDirtyTracking({ source: guestOn().vf, destination: dst })),
    ).toBeUndefined();
  });

  it('the incoming VM waits stopped; the stopped copy leaves both RAMs identical and the vCPU queue moved', () => {
    const { vf, dst, vm, link, clock } = guestOn();
    const guest = new GuestMigration({ source: vf, destination: dst }, link);
    expect(guest.destination.vm.isRunning).toBe(false);
    expect(guest.destination.host).toBe(dst);
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
    const { vf, dst, vm, link, src } = guestOn();
    const guest = new GuestMigration({ source: vf, destination: dst }, link);
    guest.startRamPrecopy(src.tracer);
    expect(guest.ram).toBeInstanceOf(RamPrecopy);
    expect(vm.dirtyLog.isLogging).toBe(true);
    guest.abort();
    expect(vm.dirtyLog.isLogging).toBe(false);
  });

  it('resume: a failing device vm_start leaves the destination vCPUs stopped and throws its error', () => {
    const { vf, dst, vm, link } = guestOn();
    const guest = new GuestMigration({ source: vf, destination: dst }, link);
    vm.stop();
    guest.copyStopped();
    const fail = () => {
      throw new KernelError('EIO', 'vm_start');
    };
    expect(errnoOf(() => guest.resume(fail))).toBe('EIO');
    expect(guest.destination.vm.isRunning).toBe(false);
    let started = false;
    const driver = guest.resume(() => {
      started = true;
    });
    expect(started).toBe(true);
    expect(driver.qm.qpNum).toBeGreaterThan(0); // rebuilt from the copied RAM: its queue range came along
    expect(guest.destination.vm.isRunning).toBe(true);
  });
});
