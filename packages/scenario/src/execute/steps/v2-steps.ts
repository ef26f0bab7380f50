import { VFIO_MIG_GET_PRECOPY_INFO, vfio_precopy_info } from '@vfio-sim/migration-v2';
import type { Corruption } from '../../plan/plan.js';
import { appendBuffer, concatBytes, dataFd } from '../device-io.js';
import type { StepRunners } from '../observation.js';

/**
 * Migration v2 as a VMM drives it: MIG_DEVICE_STATE SET/GET, MIG_DATA_SIZE, and the data fd — read(2) of
 * N bytes or to EOF, write(2) of a buffer in chunks with chosen bytes corrupted, close(2),
 * VFIO_MIG_GET_PRECOPY_INFO.
 */
export const V2_STEPS: StepRunners<
  'set-state' | 'get-state' | 'mig-data-size' | 'read-data' | 'write-data' | 'close-data' | 'precopy-info'
> = {
  'set-state'(world, args, got) {
    const entry = world.device(args.device);
    got.dataFd = 'none';
    const fd = entry.handle.setMigState(args.state);
    if (fd === undefined) return;
    got.dataFd = 'opened';
    entry.newestDataFd = fd;
    if (args.fdAs !== undefined) entry.dataFds.set(args.fdAs, fd);
  },
  'get-state'(world, args, got) {
    got.state = world.device(args.device).handle.getMigState();
  },
  'mig-data-size'(world, args, got) {
    got.stopCopyLength = world.device(args.device).handle.getMigDataSize();
  },
  'read-data'(world, args, got) {
    const entry = world.device(args.device);
    const fd = dataFd(entry, args.fd);
    const { process } = entry.vmm;
    const size = args.count === 'eof' ? args.chunk : args.count;
    const buf = world.userBuffer(entry.vmm, size);
    const parts: Uint8Array[] = [];
    const record = () => {
      const bytes = concatBytes(parts);
      got.bytes = bytes.length;
      got.data = new Uint8Array(bytes);
      appendBuffer(world.buffers, args.into, got.data as Uint8Array);
    };
    try {
      for (;;) {
        const n = process.read(fd, buf, size);
        parts.push(process.mm.copyFromUser(buf, n));
        if (args.count !== 'eof' || n === 0) break;
      }
    } finally {
      record();
    }
  },
  'write-data'(world, args, got) {
    const entry = world.device(args.device);
    const fd = dataFd(entry, args.fd);
    const source =
      typeof args.from === 'string' ? (world.buffers.get(args.from) ?? new Uint8Array(0)) : args.from;
    const bytes = corrupted(
      source.slice(args.offset, args.count === undefined ? undefined : args.offset + args.count),
      args.corrupt,
    );
    const { process } = entry.vmm;
    const buf = world.userBuffer(entry.vmm, bytes.length);
    process.mm.copyToUser(buf, bytes);
    const chunk = args.chunk ?? Math.max(1, bytes.length);
    got.bytes = 0;
    for (let at = 0; at < bytes.length || (bytes.length === 0 && at === 0); at += chunk) {
      got.bytes = (got.bytes as number) + process.write(fd, buf + at, Math.min(chunk, bytes.length - at));
      if (bytes.length === 0) break;
    }
  },
  'close-data'(world, args) {
    const entry = world.device(args.device);
    const fd = dataFd(entry, args.fd);
    entry.vmm.process.close(fd);
    if (entry.newestDataFd === fd) entry.newestDataFd = undefined;
    for (const [name, f] of entry.dataFds) if (f === fd) entry.dataFds.delete(name);
  },
  'precopy-info'(world, args, got) {
    const entry = world.device(args.device);
    const fd = dataFd(entry, args.fd);
    const { process } = entry.vmm;
    const va = world.userBuffer(entry.vmm, vfio_precopy_info.size);
    process.mm.copyToUser(
      va,
      vfio_precopy_info.encode({
        argsz: args.argsz ?? vfio_precopy_info.size,
        flags: 0,
        initial_bytes: 0n,
        dirty_bytes: 0n,
      }),
    );
    process.ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, va);
    const info = process.mm.readStruct(vfio_precopy_info, va);
    got.initialBytes = Number(info.initial_bytes);
    got.dirtyBytes = Number(info.dirty_bytes);
  },
};

/** `bytes` with each corruption applied (an `at` past the end is ignored: nothing is there to change). */
export function corrupted(bytes: Uint8Array, corrupt: readonly Corruption[]): Uint8Array {
  const out = bytes.slice();
  for (const c of corrupt) {
    if (c.at >= out.length) continue;
    out[c.at] = c.value !== undefined ? c.value : (out[c.at] as number) ^ (c.xor ?? 0);
  }
  return out;
}
