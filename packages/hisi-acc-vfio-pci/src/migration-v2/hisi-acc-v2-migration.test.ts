import {
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
} from '@vfio-sim/migration-v2';
import { describe, expect, it } from 'vitest';
import {
  expectJobsSurviveMigration,
  expectNoRegisterAccessWhileRunning,
  migrationPairAfterJobs,
} from '../__fixtures__/migration-checks.js';
import { migrateV2 } from '../__fixtures__/testbed.js';

describe('v2 live migration of a VF running ZIP jobs (PRE_COPY + STOP_COPY, QEMU v2 client)', () => {
  it('jobs in flight at the stop finish on the destination: none lost, none repeated, outputs equal node:zlib', () => {
    expectJobsSurviveMigration(migrateV2, 17, ({ src, dst, srcDev, dstDev }, { src: s, dst: d }) => {
      expect(s.initialDataSent).toBe(true);
      expect(d.switchoverApproved).toBe(true);
      expect(src.handle.getMigState()).toBe(STOP); // the source stays stopped (POSTMIGRATE)
      expect(dst.handle.getMigState()).toBe(RUNNING);
      expect(srcDev.savingMigf).toBeUndefined();
      expect(dstDev.resumingMigf).toBeUndefined();
      expect(src.process.openFds()).toEqual([src.handle.fd]);
    });
  });

  it('the source touches the VF registers only once the guest is stopped (window gating)', () => {
    let stateBeforeStop = -1;
    expectNoRegisterAccessWhileRunning(migrateV2, 2, (src) => {
      stateBeforeStop = src.handle.getMigState();
    });
    expect(stateBeforeStop).toBe(PRE_COPY);
  });

  it('the pre-copy data is the 40-byte match data; the stop-copy data completes the 176-byte acc_vf_data', () => {
    const { src, vm } = migrationPairAfterJobs(3, 2);
    expect(src.handle.getMigDataSize()).toBe(176);
    const fd = src.handle.setMigState(PRE_COPY)!;
    const { process } = src;
    const buf = process.mm.alloc(256, 8);
    expect(process.read(fd, buf, 256)).toBe(40);
    expect(process.read(fd, buf, 256)).toBe(0); // temporary end: 0, not ENOMSG (as hisi_acc)
    vm.stop();
    src.handle.setMigState(3);
    expect(process.read(fd, buf, 256)).toBe(136);
    expect(process.read(fd, buf, 256)).toBe(0);
    process.close(fd);
  });
});
