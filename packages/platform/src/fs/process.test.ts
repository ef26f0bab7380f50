import { describe, expect, it } from 'vitest';
import { errnoOf, KernelError } from '../errno/kernel-error.js';
import type { MmioRegion } from '../io/mmio.js';
import { UserMemory } from '../memory/user-memory.js';
import {
  anonInodeGetFile,
  type FileOperations,
  FMODE_LSEEK,
  FMODE_PREAD,
  FMODE_PWRITE,
  FMODE_READ,
  FMODE_WRITE,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_READ,
} from './kernel-file.js';
import { Process } from './process.js';

/** A 64-byte in-memory file: read/write at a position, ioctl 1 returns the length, mmap refuses. */
function memFile() {
  const data = new Uint8Array(64);
  let released = 0;
  const ops: FileOperations<Uint8Array> = {
    read(file, current, buf, count, pos) {
      const at = pos?.value ?? 0;
      const n = Math.max(0, Math.min(count, file.privateData.length - at));
      current.mm.copyToUser(buf, file.privateData.subarray(at, at + n));
      if (pos) pos.value += n;
      return n;
    },
    write(file, current, buf, count, pos) {
      const at = pos?.value ?? 0;
      if (at + count > file.privateData.length) throw new KernelError('ENOSPC', 'full');
      file.privateData.set(current.mm.copyFromUser(buf, count), at);
      if (pos) pos.value += count;
      return count;
    },
    ioctl(file, _current, cmd) {
      if (cmd !== 1) throw new KernelError('ENOTTY', `cmd ${cmd}`);
      return file.privateData.length;
    },
    release() {
      released++;
    },
  };
  const mode = FMODE_READ | FMODE_WRITE | FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
  return { file: anonInodeGetFile('memfile', ops, data, mode), data, released: () => released };
}

describe('Process system calls', () => {
  it('installs fds from 3, reads and writes through user memory, advances f_pos', () => {
    const p = new Process(new UserMemory());
    const { file, data } = memFile();
    const fd = p.install(file);
    expect(fd).toBe(3);
    const buf = p.mm.alloc(16);
    p.mm.copyToUser(buf, Uint8Array.of(1, 2, 3, 4));
    expect(p.write(fd, buf, 4)).toBe(4);
    expect(p.write(fd, buf, 2)).toBe(2);
    expect([...data.subarray(0, 6)]).toEqual([1, 2, 3, 4, 1, 2]);
    expect(p.pread(fd, buf, 3, 1)).toBe(3);
    expect([...p.mm.copyFromUser(buf, 3)]).toEqual([2, 3, 4]);
    expect(file.pos.value).toBe(6); // pread does not move f_pos
    expect(p.ioctl(fd, 1)).toBe(64);
  });

  it('streams have no position: pread/pwrite fail with ESPIPE and read gets a null ppos', () => {
    const p = new Process(new UserMemory());
    const { file } = memFile();
    const fd = p.install(file.streamOpen());
    const buf = p.mm.alloc(8);
    expect(errnoOf(() => p.pread(fd, buf, 4, 0))).toBe('ESPIPE');
    expect(errnoOf(() => p.pwrite(fd, buf, 4, 0))).toBe('ESPIPE');
    expect(p.read(fd, buf, 4)).toBe(4);
  });

  it('close drops the fd reference; release runs on the last put; a closed fd is EBADF', () => {
    const p = new Process(new UserMemory());
    const { file, released } = memFile();
    const fd = p.install(file);
    file.get(); // a driver keeps its own reference
    p.close(fd);
    expect(released()).toBe(0);
    expect(errnoOf(() => p.read(fd, 0, 1))).toBe('EBADF');
    expect(errnoOf(() => p.close(fd))).toBe('EBADF');
    file.put();
    expect(released()).toBe(1);
    expect(file.released).toBe(true);
    expect(errnoOf(() => file.get())).toBe('EBADF');
    expect(p.openFds()).toEqual([]);
  });

  it('checks mode, counts, offsets and missing handlers before the driver sees the call', () => {
    const p = new Process(new UserMemory());
    const ro = memFile();
    const fd = p.install(anonInodeGetFile('ro', ro.file.ops, ro.data, FMODE_READ));
    const buf = p.mm.alloc(8);
    expect(errnoOf(() => p.write(fd, buf, 1))).toBe('EBADF');
    expect(errnoOf(() => p.pread(fd, buf, 1, 0))).toBe('ESPIPE');
    expect(errnoOf(() => p.read(fd, buf, -1))).toBe('EINVAL');
    expect(errnoOf(() => p.ioctl(fd, 2))).toBe('ENOTTY');
    expect(errnoOf(() => p.mmap(fd, 4096, PROT_READ, MAP_SHARED, 0))).toBe('ENODEV');
    const withMmap = p.install(
      anonInodeGetFile(
        'm',
        { mmap: (_f, vma) => ({ size: vma.length }) as unknown as MmioRegion },
        null,
        FMODE_READ,
      ),
    );
    expect(errnoOf(() => p.mmap(withMmap, 4096, PROT_READ, MAP_SHARED, 100))).toBe('EINVAL');
    expect(errnoOf(() => p.mmap(withMmap, 0, PROT_READ, MAP_SHARED, 0))).toBe('EINVAL');
    expect(errnoOf(() => p.mmap(withMmap, 4096, PROT_READ, 0, 0))).toBe('EINVAL');
    expect(p.mmap(withMmap, 4096, PROT_READ, MAP_PRIVATE, 8192).size).toBe(4096);
    // A fault in the driver's copy_to_user surfaces as EFAULT and the file is unchanged.
    expect(errnoOf(() => p.read(fd, 0, 4))).toBe('EFAULT');
    expect(ro.file.pos.value).toBe(0);
  });
});
