import { fc, test } from '@fast-check/vitest';
import { errnoOf, KernelError, Process, UserMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import {
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
} from '../fsm/mig-state.js';
import { VFIO_MIG_GET_PRECOPY_INFO, vfio_precopy_info } from '../uapi/precopy-info.js';
import { VfioMigrationFile } from './migration-file.js';

function saving(state = { s: PRE_COPY as number }, enomsg = false) {
  const p = new Process(new UserMemory());
  const f = VfioMigrationFile.saving({
    name: 't_mig',
    capacity: 176,
    migState: () => state.s,
    precopyEnomsg: enomsg,
  });
  f.fill(Uint8Array.from({ length: 40 }, (_, i) => i));
  const fd = p.install(f.filp);
  const buf = p.mm.alloc(256, 8);
  return { p, f, fd, buf, state };
}

function precopyInfo(p: Process, fd: number, argsz = 24) {
  const va = p.mm.alloc(24, 8);
  p.mm.copyToUser(va, vfio_precopy_info.encode({ ...vfio_precopy_info.zero(), argsz }));
  p.ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, va);
  const out = p.mm.readStruct(vfio_precopy_info, va);
  return { initial: Number(out.initial_bytes), dirty: Number(out.dirty_bytes) };
}

describe('saving file (read-only stream)', () => {
  it('reads from the position, 0 at the end; pread/pwrite ESPIPE; write EBADF', () => {
    const { p, fd, buf, f } = saving();
    expect(errnoOf(() => p.pread(fd, buf, 4, 0))).toBe('ESPIPE');
    expect(errnoOf(() => p.write(fd, buf, 4))).toBe('EBADF');
    expect(p.read(fd, buf, 30)).toBe(30);
    expect(p.read(fd, buf, 30)).toBe(10);
    expect([...p.mm.copyFromUser(buf, 10)]).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
    expect(p.read(fd, buf, 30)).toBe(0);
    expect(f.position).toBe(40);
    // The same file grows at STOP_COPY; the reader continues where it stopped.
    f.fill(new Uint8Array(136).fill(7), 40);
    expect(p.read(fd, buf, 256)).toBe(136);
    expect(p.read(fd, buf, 256)).toBe(0);
  });

  it('PRECOPY_INFO: initial = valid − position, dirty = 0; errno table with nothing changed', () => {
    const { p, fd, buf, f, state } = saving();
    expect(precopyInfo(p, fd)).toEqual({ initial: 40, dirty: 0 });
    p.read(fd, buf, 16);
    expect(precopyInfo(p, fd)).toEqual({ initial: 24, dirty: 0 });
    expect(errnoOf(() => precopyInfo(p, fd, 23))).toBe('EINVAL');
    expect(errnoOf(() => p.ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO + 1, 0))).toBe('ENOTTY');
    expect(errnoOf(() => p.ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, 0))).toBe('EFAULT');
    state.s = STOP_COPY;
    expect(errnoOf(() => precopyInfo(p, fd))).toBe('EINVAL');
    state.s = PRE_COPY;
    expect(f.position).toBe(16);
    f.disable();
    expect(errnoOf(() => precopyInfo(p, fd))).toBe('ENODEV');
  });

  it('a disabled file is ENODEV; a fault in the user buffer is EFAULT and the position stays', () => {
    const { p, fd, buf, f } = saving();
    expect(errnoOf(() => p.read(fd, 0, 8))).toBe('EFAULT');
    expect(f.position).toBe(0);
    p.read(fd, buf, 8);
    f.disable();
    expect(f.position).toBe(0);
    expect(f.totalLength).toBe(0);
    expect(errnoOf(() => p.read(fd, buf, 8))).toBe('ENODEV');
    expect(errnoOf(() => f.fill(new Uint8Array(1)))).toBe('ENODEV');
  });

  it('a position past the valid length (the buffer shrank) is EINVAL', () => {
    const { p, fd, buf, f } = saving();
    p.read(fd, buf, 40);
    f.fill(new Uint8Array(8));
    expect(errnoOf(() => p.read(fd, buf, 8))).toBe('EINVAL');
    expect(f.position).toBe(40);
  });

  it('precopyEnomsg: the temporary pre-copy end is ENOMSG, the STOP_COPY end is 0', () => {
    const { p, fd, buf, state } = saving({ s: PRE_COPY }, true);
    p.read(fd, buf, 40);
    expect(errnoOf(() => p.read(fd, buf, 8))).toBe('ENOMSG');
    state.s = STOP_COPY;
    expect(p.read(fd, buf, 8)).toBe(0);
  });

  it('closing the last reference disables the file', () => {
    const { p, fd, f } = saving();
    p.close(fd);
    expect(f.disabled).toBe(true);
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 64 }), { maxLength: 12 })])(
    'any sequence of reads returns the stream in order, exactly once (model)',
    (sizes) => {
      const { p, fd, buf, f } = saving({ s: STOP_COPY });
      const full = Uint8Array.from({ length: 176 }, (_, i) => (i * 5) & 0xff);
      f.fill(full);
      const got: number[] = [];
      for (const n of sizes) {
        const r = p.read(fd, buf, n);
        expect(r).toBe(Math.min(n, 176 - got.length));
        got.push(...p.mm.copyFromUser(buf, r));
      }
      expect(got).toEqual([...full.subarray(0, got.length)]);
    },
  );
});

describe('resuming file (write-only stream)', () => {
  function resuming(check?: (b: Uint8Array) => void) {
    const p = new Process(new UserMemory());
    const f = VfioMigrationFile.resuming({
      name: 't_mig',
      capacity: 176,
      ...(check ? { checkData: check } : {}),
    });
    const fd = p.install(f.filp);
    const buf = p.mm.alloc(256, 8);
    p.mm.copyToUser(
      buf,
      Uint8Array.from({ length: 256 }, (_, i) => i & 0xff),
    );
    return { p, f, fd, buf };
  }

  it('appends; pwrite ESPIPE; read EBADF; ioctl ENOTTY', () => {
    const { p, f, fd, buf } = resuming();
    expect(errnoOf(() => p.pwrite(fd, buf, 4, 0))).toBe('ESPIPE');
    expect(errnoOf(() => p.read(fd, buf, 4))).toBe('EBADF');
    expect(errnoOf(() => p.ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, buf))).toBe('ENOTTY');
    expect(p.write(fd, buf, 100)).toBe(100);
    expect(p.write(fd, buf + 100, 76)).toBe(76);
    expect([...f.bytes]).toEqual(Array.from({ length: 176 }, (_, i) => i));
  });

  it('errno table: ENOMEM past the capacity, ENODEV disabled, EFAULT bad buffer — nothing consumed', () => {
    const { p, f, fd, buf } = resuming();
    p.write(fd, buf, 100);
    expect(errnoOf(() => p.write(fd, buf, 77))).toBe('ENOMEM');
    expect(errnoOf(() => p.write(fd, 0, 8))).toBe('EFAULT');
    expect([f.position, f.totalLength]).toEqual([100, 100]);
    f.disable();
    expect(errnoOf(() => p.write(fd, buf, 8))).toBe('ENODEV');
  });

  it('a rejected write is EFAULT and is NOT consumed (hisi/mtty keep the bytes: deliberate fix)', () => {
    const { p, f, fd, buf } = resuming((got) => {
      if (got.length >= 40 && got[39] !== 39) throw new KernelError('EINVAL', 'mismatch');
    });
    p.write(fd, buf, 30);
    const bad = p.mm.alloc(16, 8);
    p.mm.copyToUser(bad, new Uint8Array(16).fill(0xee));
    const err = (() => {
      try {
        p.write(fd, bad, 16);
      } catch (e) {
        return e as KernelError;
      }
      return undefined;
    })();
    expect(err?.errno).toBe('EFAULT');
    expect(err?.context?.cause).toBe('EINVAL');
    expect([f.position, f.totalLength]).toEqual([30, 30]);
    expect([...f.data.subarray(30, 46)]).toEqual(new Array(16).fill(0));
    expect(p.write(fd, buf + 30, 16)).toBe(16); // the right bytes are accepted afterwards
  });

  test.prop([
    fc.array(fc.record({ len: fc.integer({ min: 0, max: 80 }), corrupt: fc.boolean() }), { maxLength: 10 }),
  ])(
    'any split of a stream, with corrupted writes mixed in: exactly the valid writes are kept, in order (model)',
    (writes) => {
      const stream = Uint8Array.from({ length: 260 }, (_, i) => i & 0xff); // longer than the file
      // The check: byte 39 (in the 40-byte header) must be 39.
      const { p, f, fd } = resuming((got) => {
        if (got.length >= 40 && got[39] !== 39) throw new KernelError('EINVAL', 'mismatch');
      });
      const va = p.mm.alloc(256, 8);
      let model = 0;
      for (const w of writes) {
        const chunk = stream.slice(model, model + w.len);
        if (w.corrupt) chunk.fill(0xee);
        p.mm.copyToUser(va, chunk);
        const errno = errnoOf(() => p.write(fd, va, chunk.length));
        const end = model + chunk.length;
        const hitsCheck = w.corrupt && model <= 39 && end > 39;
        const fits = model + w.len <= 176;
        if (!fits) expect(errno).toBe('ENOMEM');
        else if (hitsCheck) expect(errno).toBe('EFAULT');
        else {
          expect(errno).toBeUndefined();
          if (!w.corrupt) model = end;
          else model = -1; // corrupt bytes outside the header are accepted: stop modelling content
        }
        if (model < 0) return;
        expect([f.position, f.totalLength]).toEqual([model, model]);
        expect([...f.bytes]).toEqual([...stream.subarray(0, model)]);
      }
    },
  );
});
