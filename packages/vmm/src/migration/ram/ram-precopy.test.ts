import type { IoPgtableFormatName } from '@vfio-sim/iommufd';
import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import type { GuestVfDriver } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import { vfGuest } from '../../__fixtures__/vf-guest.js';
import { createHost } from '../../host/host.js';
import { IOMMU_FORMATS } from '../../host/host-iommu.js';
import { MigrationLink } from '../../link/link.js';
import { Vm } from '../../vm/vm.js';
import { startJobStream } from '../../workload/job-stream.js';
import { MemoryToucher } from '../../workload/memory-toucher.js';
import { ZipWorkload } from '../../workload/zip-workload.js';
import { type LiveMigrationV1Options, liveMigrateV1 } from '../live-migration-v1.js';
import { openQemuV1Client } from '../vfio/v1-region.js';
import { DirtySync } from './dirty-sync.js';
import {
  checkRamPrecopyOptions,
  RAM_DOWNTIME_LIMIT_US,
  RAM_MAX_ROUNDS,
  RamPrecopy,
  ramPrecopyLimits,
} from './ram-precopy.js';

/**
 * A guest with 16 jobs in flight and a job stream (one every 20 µs) running while it migrates. Its RAM
 * is mapped with 4 KiB IOMMU leaves unless `iommuHugePages` (the VM's default) is asked for: these tests
 * look at what each dirty source reports page by page.
 */
function migrate(
  iommu: IoPgtableFormatName,
  options: Partial<Omit<LiveMigrationV1Options, 'source' | 'destination'>> = {},
  runAfter = true,
  iommuHugePages = false,
) {
  const clock = new VirtualClock();
  const src = createHost({ name: 'source', clock, kind: 'zip', numVfs: 1, iommu });
  const dst = createHost({ name: 'destination', clock, kind: 'zip', numVfs: 1, iommu });
  const { vm, vf, driver } = vfGuest(src, 32 << 20, 'guest', { iommuHugePages });
  const workload = new ZipWorkload({ seed: 21 });
  workload.watch(driver, 'source');
  workload.submit(driver, 'source', 16);
  startJobStream({ vm, driver, workload, side: 'source', periodUs: 20, limit: 48 });
  const { report } = liveMigrateV1({
    source: vm,
    destination: dst,
    onGuestResumed: (d) => workload.watch(d.devices[0]!.guest as GuestVfDriver, 'destination'),
    ...options,
  });
  // With RAM corrupted on the destination its guest driver and VF may never go idle: tests of a
  // broken migration look at the report only.
  if (runAfter) clock.runUntilIdle();
  return { report, tally: workload.tally(), vm, vf, src };
}

describe('guest RAM pre-copy with dirty tracking', () => {
  it.each(IOMMU_FORMATS)(
    '%s: destination RAM identical to the source at the stop, every job verified',
    (format) => {
      const { report, tally } = migrate(format);
      const ram = report.ram;
      expect(ram.iommuFormat).toBe(format);
      expect(ram.check.mismatchedPages).toEqual([]);
      expect(ram.check.pagesCompared).toBeGreaterThan(50);
      expect(tally.verified).toBe(tally.submitted);
      // rounds ran while jobs completed: both sources found pages, and the VF's DMA was seen by the IOMMU
      const running = ram.rounds.filter((r) => !r.stopped);
      expect(running.length).toBeGreaterThanOrEqual(2);
      expect(running.some((r) => r.cpuDirtyPages > 0)).toBe(true);
      expect(running.some((r) => r.dmaDirtyPages > 0)).toBe(true);
      // the final sync, after the device stopped (cache write-back of the queue contexts), found DMA writes
      const final = ram.rounds[ram.rounds.length - 1]!;
      expect(final.stopped).toBe(true);
      expect(final.dmaDirtyPages).toBeGreaterThan(0);
      expect(final.remainingPages).toBe(0);
      expect(report.guestMemory.pages).toBe(final.pagesSent);
    },
  );

  it.each(IOMMU_FORMATS)(
    '%s with huge IOMMU leaves (the VM default): each DMA write resends the populated pages of its whole 2 MiB leaf; RAM identical, every job verified',
    (format) => {
      const huge = migrate(format, {}, true, true);
      const small = migrate(format);
      for (const { report, tally } of [huge, small]) {
        expect(report.ram.check.mismatchedPages).toEqual([]);
        expect(tally.verified).toBe(tally.submitted);
      }
      // the same guest and jobs: DMA-dirty rounds report more pages with 2 MiB leaves than at 4 KiB
      const first = (r: typeof huge.report) => r.ram.rounds.find((x) => x.dmaDirtyPages > 0)!;
      expect(first(huge.report).dmaDirtyPages).toBeGreaterThan(first(small.report).dmaDirtyPages);
      // and no more than RAM holds: a page the guest never populated is not sent
      for (const r of huge.report.ram.rounds) expect(r.pagesSent).toBeLessThanOrEqual(pagesCompared(huge));
    },
  );

  it('converges within the round limit: the remaining set fits the downtime limit', () => {
    const { report } = migrate('arm-smmuv3-s1');
    const ram = report.ram;
    expect(ram.converged).toBe(true);
    const last = ram.rounds[ram.rounds.length - 2]!;
    expect(last.expectedDowntimeUs).toBeLessThanOrEqual(ram.downtimeLimitUs);
    expect(ram.rounds.length - 1).toBeLessThanOrEqual(ram.maxRounds);
    for (const r of ram.rounds.slice(0, -2))
      expect(r.expectedDowntimeUs).toBeGreaterThan(ram.downtimeLimitUs);
  });

  it('stops at the round limit when the limit is unreachable, and RAM is still identical', () => {
    const { report } = migrate('amd-v1', { ram: { downtimeLimitUs: 0, maxRounds: 2 } });
    expect(report.ram.converged).toBe(false);
    expect(report.ram.rounds.map((r) => r.stopped)).toEqual([false, false, true]);
    expect(report.ram.check.mismatchedPages).toEqual([]);
  });

  it('has teeth: without the IOMMU dirty bits, pages the VF wrote by DMA are missing on the destination', () => {
    const { report } = migrate('arm-smmuv3-s1', { dirtySources: { iommu: false } }, false);
    expect(report.ram.rounds.every((r) => r.dmaDirtyPages === 0)).toBe(true);
    expect(report.ram.check.mismatchedPages.length).toBeGreaterThan(0);
  });

  it('has teeth: without the CPU dirty log, pages the guest wrote are missing on the destination', () => {
    const { report } = migrate('vtd-ss', { dirtySources: { cpu: false } }, false);
    expect(report.ram.rounds.every((r) => r.cpuDirtyPages === 0)).toBe(true);
    expect(report.ram.check.mismatchedPages.length).toBeGreaterThan(0);
  });

  it('is deterministic: the same scenario gives the same rounds', () => {
    const a = migrate('vtd-ss').report;
    const b = migrate('vtd-ss').report;
    expect(JSON.stringify(b.ram)).toBe(JSON.stringify(a.ram));
    expect(b.downtimeUs).toBe(a.downtimeUs);
  });

  it('pre-copy shortens the downtime against copying RAM whole while stopped', () => {
    const pre = migrate('arm-smmuv3-s1').report;
    const whole = migrate('arm-smmuv3-s1', { precopy: false }).report;
    expect(whole.ram.rounds).toEqual([]);
    expect(whole.ram.check.mismatchedPages).toEqual([]);
    // The stop (the VF paused, its state saved) and the resume cost the same in both modes; what pre-copy
    // shortens is the RAM moved while stopped: that phase takes less than half as long.
    const stoppedRam = (r: typeof pre) => r.phases.find((p) => p.name === 'guest memory')!.durationUs;
    expect(stoppedRam(pre)).toBeLessThan(stoppedRam(whole) / 2);
    expect(pre.downtimeUs).toBeLessThan(whole.downtimeUs);
    expect(pre.guestMemory.bytes).toBeLessThan(whole.guestMemory.bytes);
  });

  it.each([
    [{ maxRounds: 0 }],
    [{ maxRounds: 1.5 }],
    [{ downtimeLimitUs: -1 }],
    [{ downtimeLimitUs: Number.NaN }],
  ])('refuses RAM options %j before touching anything (EINVAL)', (ram) => {
    const clock = new VirtualClock();
    const src = createHost({ name: 'source', clock, kind: 'zip', numVfs: 1 });
    const dst = createHost({ name: 'destination', clock, kind: 'zip', numVfs: 1 });
    const { vm, vf } = vfGuest(src, 8 << 20, 'guest');
    const t = clock.now();
    expect(errnoOf(() => liveMigrateV1({ source: vm, destination: dst, ram }))).toBe('EINVAL');
    expect(clock.now()).toBe(t);
    expect(vm.isRunning).toBe(true);
    expect(vm.dirtyLog.isLogging).toBe(false);
    expect(openQemuV1Client(vf).deviceState()).toBe(1); // running
    expect(dst.assignable[0]!.owner).toBeUndefined(); // no incoming VM
  });

  it('an IOMMU without dirty tracking blocks pre-copy (EOPNOTSUPP, nothing touched); whole copy still works', () => {
    const clock = new VirtualClock();
    const src = createHost({ name: 'source', clock, kind: 'zip', numVfs: 1, iommuDirtyTracking: false });
    const dst = createHost({ name: 'destination', clock, kind: 'zip', numVfs: 1 });
    const { vm, vf, driver } = vfGuest(src, 8 << 20, 'guest');
    expect(src.iommu.dirtyTracking).toBe(false);
    expect(vf.iommufd!.hwpt.dirtyTracking).toBe(false);
    const workload = new ZipWorkload({ seed: 2 });
    workload.watch(driver, 'source');
    workload.submit(driver, 'source', 4);
    const t = clock.now();
    expect(errnoOf(() => liveMigrateV1({ source: vm, destination: dst }))).toBe('EOPNOTSUPP');
    expect(clock.now()).toBe(t);
    expect(vm.isRunning).toBe(true);
    expect(openQemuV1Client(vf).deviceState()).toBe(1);
    expect(dst.assignable[0]!.owner).toBeUndefined();
    const { report } = liveMigrateV1({
      source: vm,
      destination: dst,
      precopy: false,
      onGuestResumed: (d) => workload.watch(d.devices[0]!.guest as GuestVfDriver, 'destination'),
    });
    clock.runUntilIdle();
    expect(report.ram.check.mismatchedPages).toEqual([]);
    expect(workload.tally().verified).toBe(4);
  });
});

/** Pages the RAM check compared: every page either side populated. */
function pagesCompared(run: ReturnType<typeof migrate>): number {
  return run.report.ram.check.pagesCompared;
}

describe('RAM pre-copy of a large guest', () => {
  it('a 1 TiB guest with 8 MiB touched: bitmaps and copies sized by what is touched, RAM intact', () => {
    const clock = new VirtualClock();
    const src = createHost({ name: 'source', clock, kind: 'zip', numVfs: 1 });
    const dst = createHost({ name: 'destination', clock, kind: 'zip', numVfs: 1 });
    const { vm } = vfGuest(src, 2 ** 40, 'guest');
    const toucher = new MemoryToucher({ base: 512 * 2 ** 30, bytes: 8 << 20, seed: 3 });
    toucher.touch(vm.memory);
    const touched = vm.memory.touchedBytes();
    const incoming = Vm.incoming({ name: 'guest', host: dst, memorySize: vm.memory.size });
    const dirty = new DirtySync({ vm });
    const ram = new RamPrecopy(vm, incoming, new MigrationLink(clock), dirty);
    ram.setup();
    // a 64-byte chunk per 2 MiB populated: the driver's pages near 1 MiB, 4 chunks at 512 GiB
    expect(ram.pendingBitmapBytes).toBeLessThanOrEqual(8 * 64);
    expect(ram.remainingBytes).toBe(touched);
    expect(dirty.heapBytes).toBe(32 << 10); // one 1 GiB window's bitmap, not 32 MiB
    expect(ram.round().pagesSent).toBe(touched / 4096);
    toucher.rewrite(vm.memory, 5);
    ram.complete();
    expect(toucher.verify(incoming.memory)).toEqual([]);
    expect(incoming.memory.hostBytes()).toBeLessThanOrEqual(1.5 * touched);
    expect([ram.pendingBitmapBytes, dirty.heapBytes]).toEqual([0, 0]); // given back
  });
});

describe('ramPrecopyLimits / checkRamPrecopyOptions', () => {
  it('fill in the defaults; the check returns the same limits', () => {
    expect(ramPrecopyLimits()).toEqual({ downtimeLimitUs: RAM_DOWNTIME_LIMIT_US, maxRounds: RAM_MAX_ROUNDS });
    expect(ramPrecopyLimits({ maxRounds: 3 })).toEqual({
      downtimeLimitUs: RAM_DOWNTIME_LIMIT_US,
      maxRounds: 3,
    });
    expect(checkRamPrecopyOptions({ downtimeLimitUs: 7 })).toEqual({
      downtimeLimitUs: 7,
      maxRounds: RAM_MAX_ROUNDS,
    });
  });

  it('ramPrecopyLimits does not check (a report states what was asked); the check refuses it (EINVAL)', () => {
    expect(ramPrecopyLimits({ maxRounds: 0 })).toEqual({
      downtimeLimitUs: RAM_DOWNTIME_LIMIT_US,
      maxRounds: 0,
    });
    expect(errnoOf(() => checkRamPrecopyOptions({ maxRounds: 0 }))).toBe('EINVAL');
  });
});
