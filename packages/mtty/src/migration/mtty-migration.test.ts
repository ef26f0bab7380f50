import {
  VFIO_DEVICE_STATE_ERROR as ERROR,
  migStateName,
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_PRE_COPY_P2P as PRE_COPY_P2P,
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_RUNNING_P2P as RUNNING_P2P,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
  vfioMigPath,
} from '@vfio-sim/migration-v2';
import { errnoOf } from '@vfio-sim/platform';
import { VFIO_DEVICE_FEATURE_DMA_LOGGING_START, VFIO_DEVICE_FEATURE_SET, Vfio } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import {
  guestUarts,
  type MttyBed,
  mttyBed,
  portBytes,
  precopyInfo,
  readToEof,
  writeAll,
} from '../__fixtures__/mtty-host.js';
import { MTTY_MIGRATION_FLAGS } from '../driver/mtty-dev-ops.js';
import { VfioRegionUartIo } from '../guest/uart-io.js';
import { MTTY_DATA_PORTS_OFFSET, MTTY_MAGIC, mtty_data, mttyDataSize } from '../uapi/mtty-data.js';
import { MTTY_ARCS } from './step-state.js';

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);
const STATES = [STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P];

/** A device whose two ports hold bytes in their FIFOs ("…, world" and "XYZ"); with its guest UARTs. */
function withBytes(name: string) {
  const bed = mttyBed(name);
  const uarts = guestUarts(bed);
  uarts[0]!.write(text('hello, world'));
  expect(str(uarts[0]!.read(5))).toBe('hello');
  uarts[1]!.write(text('XYZ'));
  return { ...bed, uarts };
}

/** The whole blob of `bed` saved at STOP_COPY (from RUNNING); the device is left in STOP. */
function saveStopCopy(bed: MttyBed, chunk = 16): Uint8Array {
  const fd = bed.handle.setMigState(STOP_COPY)!;
  const blob = readToEof(bed.process, fd, chunk);
  bed.process.close(fd);
  bed.handle.setMigState(STOP);
  return blob;
}

/** Everything an arc could change: the ports, the session files, the process's fds, config space. */
function snapshot(bed: MttyBed) {
  const m = bed.mdevState;
  const file = (f: typeof m.savingMigf) =>
    f === undefined ? undefined : { f, length: f.totalLength, pos: f.position, disabled: f.disabled };
  return {
    state: m.migState,
    ports: portBytes(m),
    saving: file(m.savingMigf),
    resuming: file(m.resumingMigf),
    fds: bed.process.openFds(),
    cfg: m.vconfig.slice(),
  };
}

describe('a v2 migration of an mtty with bytes in its FIFOs (uAPI steps)', () => {
  it('source STOP_COPY → read to EOF → destination RESUMING → write → RUNNING: the ports byte for byte', () => {
    const src = withBytes('src');
    const dst = mttyBed('dst');
    const fd = src.handle.setMigState(STOP_COPY)!;
    const blob = readToEof(src.process, fd, 7);
    expect(blob.length).toBe(mttyDataSize(2));
    expect(mtty_data.decode(blob)).toEqual({
      magic: MTTY_MAGIC,
      major_ver: 1,
      minor_ver: 0,
      nr_ports: 2,
      flags: 0,
    });
    expect(blob.subarray(MTTY_DATA_PORTS_OFFSET)).toEqual(
      Uint8Array.from(portBytes(src.mdevState).flatMap((b) => [...b])),
    );
    src.handle.setMigState(STOP); // STOP_COPY → STOP ends the session
    expect(errnoOf(() => readToEof(src.process, fd))).toBe('ENODEV');

    const rfd = dst.handle.setMigState(RESUMING)!;
    expect(writeAll(dst.process, rfd, blob, 10)).toBe(blob.length);
    expect(dst.handle.setMigState(RUNNING)).toBeUndefined();
    expect(dst.handle.getMigState()).toBe(RUNNING);
    expect(portBytes(dst.mdevState)).toEqual(portBytes(src.mdevState));
    expect(errnoOf(() => writeAll(dst.process, rfd, Uint8Array.of(1)))).toBe('ENODEV'); // session over
  });

  it('the guest, moved to the destination, reads the bytes in flight exactly once, then keeps going', () => {
    const src = withBytes('src');
    const dst = mttyBed('dst');
    const blob = saveStopCopy(src);
    writeAll(dst.process, dst.handle.setMigState(RESUMING)!, blob);
    dst.handle.setMigState(RUNNING);
    const [u0, u1] = src.uarts;
    u0!.attach(VfioRegionUartIo.of(dst.handle, 0));
    u1!.attach(VfioRegionUartIo.of(dst.handle, 1));
    expect(str(u0!.read())).toBe(', world');
    expect(str(u1!.read())).toBe('XYZ');
    expect([u0!.read().length, u1!.read().length]).toEqual([0, 0]);
    expect(u0!.write(text('more'))).toBe(4);
    expect(str(u0!.read())).toBe('more');
  });

  it('a one-port device: a 60-byte blob; MIG_DATA_SIZE is the blob size in every state', () => {
    const src = mttyBed('src', 1);
    expect(src.handle.getMigDataSize()).toBe(24 + 36);
    for (const s of [RUNNING_P2P, STOP, RUNNING]) {
      src.handle.setMigState(s);
      expect(src.handle.getMigDataSize()).toBe(60);
    }
    expect(saveStopCopy(src).length).toBe(60);
  });
});

describe('PRE_COPY and VFIO_MIG_GET_PRECOPY_INFO', () => {
  it('pre-copy offers the 24-byte header; the ports follow on the same fd once in STOP_COPY', () => {
    const src = withBytes('src');
    const fd = src.handle.setMigState(PRE_COPY)!;
    expect(precopyInfo(src.process, fd)).toEqual({ initialBytes: 24, dirtyBytes: 0 });
    const first = readToEof(src.process, fd, 10);
    expect(first).toEqual(mtty_data.encode(mtty_data.decode(first)));
    expect(first.length).toBe(24);
    expect(precopyInfo(src.process, fd)).toEqual({ initialBytes: 0, dirtyBytes: 0 });
    expect(readToEof(src.process, fd).length).toBe(0); // the temporary end reads 0 (not ENOMSG)
    src.handle.setMigState(PRE_COPY_P2P);
    expect(precopyInfo(src.process, fd)).toEqual({ initialBytes: 0, dirtyBytes: 0 });
    expect(src.handle.setMigState(STOP_COPY)).toBeUndefined(); // PRE_COPY_P2P → STOP_COPY: same fd
    expect(errnoOf(() => precopyInfo(src.process, fd))).toBe('EINVAL'); // not a pre-copy state
    const rest = readToEof(src.process, fd, 10);
    expect(rest.length).toBe(72);

    const dst = mttyBed('dst');
    const rfd = dst.handle.setMigState(RESUMING)!;
    writeAll(dst.process, rfd, Uint8Array.of(...first, ...rest));
    dst.handle.setMigState(RUNNING);
    expect(portBytes(dst.mdevState)).toEqual(portBytes(src.mdevState));
  });

  it('PRECOPY_INFO errnos: argsz < 24 EINVAL, out of pre-copy EINVAL, a session ended by PRE_COPY → RUNNING ENODEV on read', () => {
    const src = mttyBed('src');
    const fd = src.handle.setMigState(PRE_COPY)!;
    expect(errnoOf(() => precopyInfo(src.process, fd, 23))).toBe('EINVAL');
    const before = snapshot(src);
    expect(precopyInfo(src.process, fd).initialBytes).toBe(24); // the failed call changed nothing
    expect(snapshot(src)).toEqual(before);
    src.handle.setMigState(RUNNING);
    expect(src.mdevState.savingMigf).toBeUndefined();
    expect(errnoOf(() => precopyInfo(src.process, fd))).toBe('EINVAL');
    expect(errnoOf(() => readToEof(src.process, fd))).toBe('ENODEV');
  });
});

describe('the arcs (mtty_step_state)', () => {
  it('MTTY_ARCS names exactly the arcs vfio_mig_get_next_state produces for STOP_COPY | P2P | PRE_COPY', () => {
    const produced = new Set<string>();
    for (const from of STATES) {
      for (const to of STATES) {
        let path: number[];
        try {
          path = vfioMigPath(MTTY_MIGRATION_FLAGS, from, to);
        } catch {
          continue;
        }
        [from, ...path].slice(0, -1).forEach((s, i) => {
          produced.add(`${migStateName(s)}>${migStateName(path[i]!)}`);
        });
      }
    }
    expect([...produced].sort()).toEqual([...MTTY_ARCS.keys()].sort());
  });

  // mtty_step_state(): "no-op considering mtty does not do DMA nor require any explicit start/stop".
  const NO_OPS = [
    ['RUNNING', 'RUNNING_P2P'],
    ['RUNNING_P2P', 'RUNNING'],
    ['RUNNING_P2P', 'STOP'],
    ['PRE_COPY', 'PRE_COPY_P2P'],
    ['PRE_COPY_P2P', 'PRE_COPY'],
    ['STOP', 'RUNNING_P2P'],
  ];
  it.each(NO_OPS)(
    '%s → %s changes nothing (mtty does no DMA): no fd, ports, files and fds as they were',
    (from, to) => {
      const bed = withBytes('p2p');
      const stateOf = (n: string) => STATES.find((s) => migStateName(s) === n)!;
      const cur = stateOf(from!);
      if (cur === PRE_COPY_P2P) bed.handle.setMigState(PRE_COPY);
      bed.handle.setMigState(cur);
      const before = snapshot(bed);
      expect(bed.handle.setMigState(stateOf(to!))).toBeUndefined();
      expect({ ...snapshot(bed), state: cur }).toEqual(before);
      expect(bed.handle.getMigState()).toBe(stateOf(to!));
      // The UART goes on looping bytes back (the sample never stops it).
      expect(bed.uarts[1]!.write(text('!'))).toBe(1);
      expect(str(bed.uarts[1]!.read())).toBe('XYZ!');
    },
  );

  it('session arcs: save opens a read-only fd (or appends from PRE_COPY_P2P), resume a write-only one, disable ends them', () => {
    const bed = withBytes('s');
    const p = bed.process;
    const pre = bed.handle.setMigState(PRE_COPY)!; // RUNNING → PRE_COPY: save (header)
    expect(bed.mdevState.savingMigf?.totalLength).toBe(24);
    expect(errnoOf(() => p.write(pre, p.mm.alloc(1), 1))).toBe('EBADF');
    bed.handle.setMigState(RUNNING); // PRE_COPY → RUNNING: disable
    expect(errnoOf(() => readToEof(p, pre))).toBe('ENODEV');
    const p2p = bed.handle.setMigState(PRE_COPY_P2P)!; // RUNNING → RUNNING_P2P → PRE_COPY_P2P: save
    bed.handle.setMigState(RUNNING_P2P); // PRE_COPY_P2P → RUNNING_P2P: disable
    expect(errnoOf(() => readToEof(p, p2p))).toBe('ENODEV');
    const sc = bed.handle.setMigState(STOP_COPY)!; // … STOP → STOP_COPY: save (header + ports)
    expect(bed.mdevState.savingMigf?.totalLength).toBe(96);
    bed.handle.setMigState(STOP); // STOP_COPY → STOP: disable
    expect(errnoOf(() => readToEof(p, sc))).toBe('ENODEV');
    const res = bed.handle.setMigState(RESUMING)!; // STOP → RESUMING: resume
    expect(errnoOf(() => readToEof(p, res))).toBe('EBADF');
    expect(bed.mdevState.resumingMigf?.totalLength).toBe(0);
  });
});

describe('illegal targets and failing arcs', () => {
  it('from every state, ERROR and unknown targets are EINVAL with nothing changed; STOP_COPY → PRE_COPY(_P2P) too', () => {
    for (const state of STATES) {
      const bed = withBytes(`i${state}`);
      if (state === PRE_COPY_P2P) bed.handle.setMigState(PRE_COPY);
      bed.handle.setMigState(state);
      const before = snapshot(bed);
      const illegal = [ERROR, 8, 9, 0xffff_ffff, ...(state === STOP_COPY ? [PRE_COPY, PRE_COPY_P2P] : [])];
      for (const target of illegal) {
        expect(errnoOf(() => bed.handle.setMigState(target))).toBe('EINVAL');
        expect(snapshot(bed)).toEqual(before);
        expect(bed.handle.getMigState()).toBe(state);
      }
    }
  });

  it('RESUMING → STOP with an incomplete blob is EINVAL: still RESUMING, nothing loaded; the rest then loads', () => {
    const src = withBytes('src');
    const blob = saveStopCopy(src);
    const dst = mttyBed('dst');
    const rfd = dst.handle.setMigState(RESUMING)!;
    const empty = snapshot(dst);
    expect(errnoOf(() => dst.handle.setMigState(STOP))).toBe('EINVAL'); // nothing written
    expect(snapshot(dst)).toEqual(empty);
    writeAll(dst.process, rfd, blob.subarray(0, 50));
    const partial = snapshot(dst);
    expect(errnoOf(() => dst.handle.setMigState(RUNNING))).toBe('EINVAL'); // the walk stops at the first arc
    expect(snapshot(dst)).toEqual(partial);
    writeAll(dst.process, rfd, blob.subarray(50));
    dst.handle.setMigState(RUNNING);
    expect(portBytes(dst.mdevState)).toEqual(portBytes(src.mdevState));
  });
});

describe('corrupt blobs (mtty_resume_write, mtty_load_state)', () => {
  const header = (patch: Partial<ReturnType<typeof mtty_data.decode>>) => (blob: Uint8Array) => {
    const b = blob.slice();
    b.set(mtty_data.encode({ ...mtty_data.decode(b), ...patch }));
    return b;
  };
  const CORRUPTIONS: [string, (b: Uint8Array) => Uint8Array][] = [
    ['a wrong magic', header({ magic: MTTY_MAGIC ^ 1n })],
    ['flags set', header({ flags: 1 })],
    ['major version 2', header({ major_ver: 2 })],
    ['minor version 1', header({ minor_ver: 1 })],
    ['a one-port blob for a two-port device', header({ nr_ports: 1 })],
  ];

  it.each(CORRUPTIONS)(
    '%s: the write completing the header is EFAULT, not consumed; after a reset a good blob loads',
    (_, corrupt) => {
      const src = withBytes('src');
      const blob = saveStopCopy(src);
      const bad = corrupt(blob);
      const dst = mttyBed('dst');
      const rfd = dst.handle.setMigState(RESUMING)!;
      writeAll(dst.process, rfd, bad.subarray(0, 10)); // the header is not complete yet: no check
      const before = snapshot(dst);
      expect(errnoOf(() => writeAll(dst.process, rfd, bad.subarray(10, 30), 20))).toBe('EFAULT');
      expect(snapshot(dst)).toEqual(before);
      expect(dst.mdevState.resumingMigf?.totalLength).toBe(10);
      expect(dst.handle.getMigState()).toBe(RESUMING);
      expect(errnoOf(() => dst.handle.setMigState(STOP))).toBe('EINVAL'); // incomplete: nothing loaded
      // A RESUMING session is aborted by a reset; a new one takes the good blob.
      dst.handle.reset();
      writeAll(dst.process, dst.handle.setMigState(RESUMING)!, blob);
      dst.handle.setMigState(RUNNING);
      expect(portBytes(dst.mdevState)).toEqual(portBytes(src.mdevState));
    },
  );

  it('more than mtty_data_size() is ENOMEM with nothing consumed', () => {
    const blob = saveStopCopy(withBytes('src'));
    const dst = mttyBed('dst');
    const rfd = dst.handle.setMigState(RESUMING)!;
    expect(errnoOf(() => writeAll(dst.process, rfd, Uint8Array.of(...blob, 0), 200))).toBe('ENOMEM');
    expect(dst.mdevState.resumingMigf?.totalLength).toBe(0);
    writeAll(dst.process, rfd, blob);
    expect(errnoOf(() => writeAll(dst.process, rfd, Uint8Array.of(0)))).toBe('ENOMEM');
  });
});

describe('reset, close and DMA logging', () => {
  it('VFIO_DEVICE_RESET in a session: RUNNING, the fd answers ENODEV, the ports keep their bytes', () => {
    const bed = withBytes('r');
    const fd = bed.handle.setMigState(PRE_COPY)!;
    const ports = portBytes(bed.mdevState);
    bed.handle.reset();
    expect(bed.handle.getMigState()).toBe(RUNNING);
    expect(errnoOf(() => readToEof(bed.process, fd))).toBe('ENODEV');
    expect(portBytes(bed.mdevState)).toEqual(ports);
  });

  it('closing the device fd disables the files but keeps the state; RESUMING → STOP is then EINVAL until a reset', () => {
    const bed = mttyBed('c');
    const rfd = bed.handle.setMigState(RESUMING)!;
    bed.handle.close();
    expect(errnoOf(() => writeAll(bed.process, rfd, Uint8Array.of(1)))).toBe('ENODEV');
    const again = Vfio.of(bed.host).openDevice(bed.process, bed.mdevState.name);
    expect(again.getMigState()).toBe(RESUMING);
    expect(errnoOf(() => again.setMigState(STOP))).toBe('EINVAL');
    again.reset();
    expect(again.getMigState()).toBe(RUNNING);
  });

  it('DMA logging is there and reports nothing dirty (no-op log_ops): start, report zeros, stop', () => {
    const bed = withBytes('d');
    expect(bed.handle.probeFeature(VFIO_DEVICE_FEATURE_DMA_LOGGING_START, VFIO_DEVICE_FEATURE_SET)).toBe(
      true,
    );
    expect(bed.handle.dmaLoggingStart([{ iova: 0, length: 1 << 20 }], 4096)).toBe(4096);
    expect([...bed.handle.dmaLoggingReport(0, 1 << 20, 4096)].every((b) => b === 0)).toBe(true);
    bed.handle.dmaLoggingStop();
  });
});
