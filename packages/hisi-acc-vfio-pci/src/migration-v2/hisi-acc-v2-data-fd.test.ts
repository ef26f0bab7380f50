import {
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
  VFIO_MIG_GET_PRECOPY_INFO,
  vfio_precopy_info,
} from '@vfio-sim/migration-v2';
import { errnoOf, type Process } from '@vfio-sim/platform';
import { Vfio } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { migrationPair, VF_NAME } from '../__fixtures__/testbed.js';

function precopyInfo(p: Process, fd: number, argsz = 24): { initial: number; dirty: number } {
  const va = p.mm.alloc(24, 8);
  p.mm.copyToUser(va, vfio_precopy_info.encode({ ...vfio_precopy_info.zero(), argsz }));
  p.ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, va);
  const out = p.mm.readStruct(vfio_precopy_info, va);
  return { initial: Number(out.initial_bytes), dirty: Number(out.dirty_bytes) };
}

describe('hisi data fds: the errno table (§3.9), with the model fixes', () => {
  it('saving fd: stream (pread ESPIPE), write EBADF, 0 at the end also in PRE_COPY, PRECOPY_INFO rules', () => {
    const { src, vm } = migrationPair();
    const { process: p, handle } = src;
    const fd = handle.setMigState(PRE_COPY)!;
    const buf = p.mm.alloc(256, 8);
    expect(errnoOf(() => p.pread(fd, buf, 8, 0))).toBe('ESPIPE');
    expect(errnoOf(() => p.write(fd, buf, 8))).toBe('EBADF');
    expect(precopyInfo(p, fd)).toEqual({ initial: 40, dirty: 0 });
    expect(errnoOf(() => precopyInfo(p, fd, 16))).toBe('EINVAL');
    expect(errnoOf(() => p.ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO + 1, buf))).toBe('ENOTTY');
    expect(errnoOf(() => p.ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, 0))).toBe('EFAULT');
    expect(p.read(fd, buf, 25)).toBe(25);
    expect(precopyInfo(p, fd)).toEqual({ initial: 15, dirty: 0 });
    expect(p.read(fd, buf, 256)).toBe(15);
    expect(p.read(fd, buf, 256)).toBe(0);
    expect(precopyInfo(p, fd)).toEqual({ initial: 0, dirty: 0 });
    vm.stop();
    handle.setMigState(STOP_COPY);
    expect(errnoOf(() => precopyInfo(p, fd))).toBe('EINVAL'); // only in PRE_COPY
    expect(p.read(fd, buf, 256)).toBe(136);
    handle.setMigState(STOP); // STOP_COPY → STOP ends the session
    expect(errnoOf(() => p.read(fd, buf, 8))).toBe('ENODEV');
    p.close(fd);
  });

  it('PRE_COPY → RUNNING disables the saving fd (ENODEV for read and PRECOPY_INFO)', () => {
    const { src } = migrationPair();
    const { process: p, handle } = src;
    const fd = handle.setMigState(PRE_COPY)!;
    handle.setMigState(RUNNING);
    const buf = p.mm.alloc(64, 8);
    expect(errnoOf(() => p.read(fd, buf, 8))).toBe('ENODEV');
    // PRECOPY_INFO checks the device state first: RUNNING → EINVAL.
    expect(errnoOf(() => precopyInfo(p, fd))).toBe('EINVAL');
    // A new session gets a new file; the old fd stays dead.
    const fd2 = handle.setMigState(PRE_COPY)!;
    expect(errnoOf(() => precopyInfo(p, fd))).toBe('ENODEV');
    expect(precopyInfo(p, fd2)).toEqual({ initial: 40, dirty: 0 });
  });

  it('resuming fd: stream (pwrite ESPIPE), read EBADF, ioctl ENOTTY, ENOMEM past 176 (nothing consumed)', () => {
    const { dst } = migrationPair();
    const { process: p, handle } = dst;
    handle.setMigState(STOP);
    const fd = handle.setMigState(RESUMING)!;
    const buf = p.mm.alloc(256, 8);
    expect(errnoOf(() => p.pwrite(fd, buf, 8, 0))).toBe('ESPIPE');
    expect(errnoOf(() => p.read(fd, buf, 8))).toBe('EBADF');
    expect(errnoOf(() => p.ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, buf))).toBe('ENOTTY');
    expect(errnoOf(() => p.write(fd, buf, 177))).toBe('ENOMEM');
    expect(p.write(fd, buf, 20)).toBe(20); // < 40 bytes: no check yet
    expect(errnoOf(() => p.write(fd, 0, 8))).toBe('EFAULT');
    expect(dst.hdev.resumingMigf?.totalLength).toBe(20);
    expect(errnoOf(() => p.write(fd, buf, 20))).toBe('EFAULT'); // zeros: bad magic
    expect(dst.hdev.resumingMigf?.totalLength).toBe(20); // fix: rejected bytes are not consumed
  });

  it('VFIO_DEVICE_RESET ends every session (defect B fixed): RUNNING, fds ENODEV, window unmapped', () => {
    const { src, vm, srcDev } = migrationPair();
    const { process: p, handle } = src;
    const fd = handle.setMigState(PRE_COPY)!;
    vm.stop();
    handle.setMigState(STOP_COPY);
    expect(srcDev.window.isMapped).toBe(true);
    handle.reset();
    expect(handle.getMigState()).toBe(RUNNING);
    expect(srcDev.window.isMapped).toBe(false);
    expect(errnoOf(() => p.read(fd, p.mm.alloc(8), 8))).toBe('ENODEV');
    expect(srcDev.savingMigf).toBeUndefined();
  });

  it('closing the device ends the sessions (v6.16); the next open starts RUNNING', () => {
    const { src, srcDev } = migrationPair();
    const { process: p, handle, host } = src;
    const fd = handle.setMigState(PRE_COPY)!;
    const migf = srcDev.savingMigf!;
    handle.close();
    expect(migf.disabled).toBe(true);
    expect(errnoOf(() => p.read(fd, p.mm.alloc(8), 8))).toBe('ENODEV');
    const again = Vfio.of(host).openDevice(p, VF_NAME);
    expect(again.getMigState()).toBe(RUNNING);
    expect(again.getMigDataSize()).toBe(176);
  });

  it('the user closing the data fd does not change the device state', () => {
    const { src } = migrationPair();
    const fd = src.handle.setMigState(PRE_COPY)!;
    src.process.close(fd);
    expect(src.handle.getMigState()).toBe(PRE_COPY);
    expect(src.hdev.savingMigf?.disabled).toBe(false);
  });
});
