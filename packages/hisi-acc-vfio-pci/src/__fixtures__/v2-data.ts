import {
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
} from '@vfio-sim/migration-v2';
import { migrationPairAfterJobs } from './migration-checks.js';
import type { Host } from './testbed.js';

/*
 * v2 (data fd) stream plumbing shared by the v2 tests that move device state by hand, without the QEMU
 * client: the saving fd's bytes on the source, the resuming fd's writes on the destination.
 */

/** Put `h` in RESUMING (via STOP); returns the resuming data fd. */
export function resumeFd(h: Host): number {
  h.handle.setMigState(STOP);
  return h.handle.setMigState(RESUMING)!;
}

/** Write `bytes` to data fd `fd` of `h` from its VMM's memory; returns what write() returned. */
export function writeData(h: Host, fd: number, bytes: Uint8Array): number {
  const va = h.process.mm.alloc(Math.max(bytes.length, 1), 8);
  h.process.mm.copyToUser(va, bytes);
  return h.process.write(fd, va, bytes.length);
}

/** The full stop-copy stream of a running source (PRE_COPY, stop, STOP_COPY), read to the end. */
export function sourceStream(h: Host, stop: () => void): Uint8Array {
  const fd = h.handle.setMigState(PRE_COPY)!;
  stop();
  h.handle.setMigState(STOP_COPY);
  const buf = h.process.mm.alloc(256, 8);
  const out: number[] = [];
  for (let n = h.process.read(fd, buf, 256); n > 0; n = h.process.read(fd, buf, 256)) {
    out.push(...h.process.mm.copyFromUser(buf, n));
  }
  h.process.close(fd);
  return Uint8Array.from(out);
}

/**
 * A new migration pair, the stopped source's state handed to its RESUMING destination: 2 ZIP jobs
 * (inputs from `seed`) run on the source, then PRE_COPY, the guest stops, STOP_COPY and one 256-byte
 * read of the saving fd; those bytes go to the destination VMM's memory and are written once to the
 * destination's resuming fd. Returns the pair, what the read and the write returned, the resuming fd
 * and the destination buffer.
 */
export function stopCopyIntoResuming(seed: number) {
  const pair = migrationPairAfterJobs(seed, 2);
  const { src, dst, vm } = pair;
  const sfd = src.handle.setMigState(PRE_COPY)!;
  vm.stop();
  src.handle.setMigState(STOP_COPY);
  const buf = src.process.mm.alloc(256, 8);
  const read = src.process.read(sfd, buf, 256);
  const dfd = resumeFd(dst);
  // Stream bytes go from the source VMM to the destination VMM's memory.
  const dbuf = dst.process.mm.alloc(256, 8);
  dst.process.mm.copyToUser(dbuf, src.process.mm.copyFromUser(buf, read));
  const written = dst.process.write(dfd, dbuf, read);
  return { ...pair, read, written, dfd, dbuf };
}
