import { errnoOf, type KernelError } from '@vfio-sim/platform';
import { QemuFileReader, QemuFileWriter, VFIO_MIG_FLAG_DEV_INIT_DATA_SENT } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import {
  FAKE_MAGIC,
  fakeHost,
  fakeState,
  PRE_COPY,
  RESUMING,
  RUNNING,
  STOP,
  STOP_COPY,
} from '../__fixtures__/fake-v2-device.js';
import { VFIO_MIGRATION_STOP_COPY } from '../fsm/mig-state.js';
import {
  QemuV2Client,
  VFIO_MIG_DEFAULT_DATA_BUFFER_SIZE,
  VFIO_MIG_STOP_COPY_SIZE,
} from './qemu-v2-client.js';

/** Run QEMU's save side to completion; returns the sections in stream order. */
function save(c: QemuV2Client, iterations = 3): Uint8Array[] {
  const sections: Uint8Array[] = [];
  const section = (fn: (w: QemuFileWriter) => void) => {
    const w = new QemuFileWriter();
    fn(w);
    sections.push(w.toBytes());
  };
  section((w) => c.saveSetup(w));
  for (let i = 0; i < iterations && c.isActiveIterate(); i++) section((w) => c.saveIterate(w));
  c.vmStateChange(false, 'finish-migrate');
  section((w) => c.saveComplete(w));
  section((w) => c.saveState(w));
  c.saveCleanup();
  return sections;
}

function loadAll(c: QemuV2Client, sections: Uint8Array[]): void {
  for (const s of sections) c.loadState(new QemuFileReader(s));
}

function load(c: QemuV2Client, sections: Uint8Array[]): number {
  c.loadSetup();
  let n = 0;
  for (const s of sections) n += c.loadState(new QemuFileReader(s));
  c.loadCleanup();
  c.vmStateChange(true);
  return n;
}

describe('QemuV2Client: a whole migration between two devices', () => {
  it('PRE_COPY device: initial bytes in pre-copy, the rest at stop-copy; the destination gets the state', () => {
    const src = fakeHost('src', { state: fakeState(300, 3), precopyBytes: 40 });
    const dst = fakeHost('dst', { state: fakeState(300, 9) });
    const s = new QemuV2Client(src.handle, { maxBufferSize: 64 });
    const w = new QemuFileWriter();
    s.saveSetup(w);
    expect(s.deviceState).toBe(PRE_COPY);
    expect(src.handle.getMigState()).toBe(PRE_COPY);
    expect([s.precopyInitSize, s.precopyDirtySize]).toEqual([40, 0]);
    expect(s.statePendingEstimate()).toBe(40);
    expect(s.statePendingExact()).toBe(300);
    const sections = [w.toBytes(), ...save_rest(s)];
    expect(src.dev.arcs).toEqual(['RUNNING>PRE_COPY', 'PRE_COPY>STOP_COPY', 'STOP_COPY>STOP']);
    expect(s.dataFd).toBeUndefined();
    expect(src.process.openFds()).toEqual([src.handle.fd]);

    const d = new QemuV2Client(dst.handle);
    expect(load(d, sections)).toBe(300);
    expect(dst.dev.state).toEqual(src.dev.state);
    expect(dst.dev.arcs).toEqual(['RUNNING>STOP', 'STOP>RESUMING', 'RESUMING>STOP', 'STOP>RUNNING']);
    expect(dst.handle.getMigState()).toBe(RUNNING);
  });

  it('STOP_COPY-only device: no pre-copy, VM stop → STOP, complete opens the fd from STOP', () => {
    const flags = VFIO_MIGRATION_STOP_COPY;
    const src = fakeHost('src', { flags, state: fakeState(100, 1) });
    const dst = fakeHost('dst', { flags, state: fakeState(100, 2) });
    const s = new QemuV2Client(src.handle);
    const sections = save(s);
    expect(src.dev.arcs).toEqual(['RUNNING>STOP', 'STOP>STOP_COPY', 'STOP_COPY>STOP']);
    load(new QemuV2Client(dst.handle), sections);
    expect(dst.dev.state).toEqual(src.dev.state);
  });

  it('switchover-ack: INIT_DATA_SENT once the initial bytes are drained; the destination approves', () => {
    const src = fakeHost('src');
    const dst = fakeHost('dst');
    const s = new QemuV2Client(src.handle, { switchoverAck: true });
    const sections = save(s);
    expect(s.initialDataSent).toBe(true);
    const tags = sections.map((b) => new DataView(b.buffer, b.byteOffset).getBigUint64(b.length - 8, false));
    expect(tags).toContain(VFIO_MIG_FLAG_DEV_INIT_DATA_SENT);
    const d = new QemuV2Client(dst.handle, { switchoverAck: true });
    load(d, sections);
    expect(d.switchoverApproved).toBe(true);
    expect(dst.dev.state).toEqual(src.dev.state);
    // Without the capability on the destination the tag is refused.
    const e = fakeHost('e');
    const d2 = new QemuV2Client(e.handle);
    d2.loadSetup();
    expect(errnoOf(() => loadAll(d2, sections))).toBe('EINVAL');
  });

  it('ENOMSG at the temporary pre-copy end counts as "nothing for now"', () => {
    const src = fakeHost('src', { precopyEnomsg: true });
    const s = new QemuV2Client(src.handle);
    s.saveSetup(new QemuFileWriter());
    expect(s.saveIterate(new QemuFileWriter())).toBe(true);
    const w = new QemuFileWriter();
    expect(s.saveIterate(w)).toBe(true);
    expect(w.size).toBe(8); // END_OF_STATE only
  });
});

function save_rest(c: QemuV2Client): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 3 && c.isActiveIterate(); i++) {
    const w = new QemuFileWriter();
    c.saveIterate(w);
    out.push(w.toBytes());
  }
  c.vmStateChange(false, 'finish-migrate');
  const w = new QemuFileWriter();
  c.saveComplete(w);
  out.push(w.toBytes());
  c.saveCleanup();
  return out;
}

describe('QemuV2Client: MIG_DATA_SIZE (vfio_query_stop_copy_size)', () => {
  it('sizes the data buffer at save_setup and answers the exact pending query', () => {
    const src = fakeHost('src', { state: fakeState(300) });
    const s = new QemuV2Client(src.handle);
    s.saveSetup(new QemuFileWriter());
    expect(s.stopCopySize).toBe(300);
    expect(s.statePendingExact()).toBe(300);
  });

  it('a failing MIG_DATA_SIZE: save_setup keeps the default buffer size, the exact query assumes 100 GiB', () => {
    const src = fakeHost('src', { state: fakeState(300) });
    src.dev.dataSizeFails = true;
    const s = new QemuV2Client(src.handle);
    s.saveSetup(new QemuFileWriter());
    expect(s.stopCopySize).toBe(VFIO_MIG_DEFAULT_DATA_BUFFER_SIZE);
    expect(s.deviceState).toBe(PRE_COPY);
    expect(s.statePendingExact()).toBe(VFIO_MIG_STOP_COPY_SIZE);
    expect(s.stopCopySize).toBe(VFIO_MIG_DEFAULT_DATA_BUFFER_SIZE);
    expect([s.precopyInitSize, s.precopyDirtySize]).toEqual([40, 0]);
  });
});

describe('QemuV2Client: recovery rules (vfio_migration_set_state)', () => {
  it('a failed PRE_COPY at setup recovers to RUNNING and reports the original errno', () => {
    const src = fakeHost('src');
    src.dev.failArcs.set('RUNNING>PRE_COPY', 'EBUSY');
    const s = new QemuV2Client(src.handle);
    expect(errnoOf(() => s.saveSetup(new QemuFileWriter()))).toBe('EBUSY');
    expect(s.deviceState).toBe(RUNNING);
    expect(src.handle.getMigState()).toBe(RUNNING);
    expect(s.resets).toBe(0);
  });

  it('a failed VM-stop transition (recover ERROR) resets the device: RUNNING, fd dead', () => {
    const src = fakeHost('src');
    const s = new QemuV2Client(src.handle);
    s.saveSetup(new QemuFileWriter());
    src.dev.failArcs.set('PRE_COPY>STOP_COPY', 'EIO');
    expect(errnoOf(() => s.vmStateChange(false))).toBe('EIO');
    expect(s.resets).toBe(1);
    expect(s.deviceState).toBe(RUNNING);
    expect(src.handle.getMigState()).toBe(RUNNING);
    expect(errnoOf(() => s.saveIterate(new QemuFileWriter()))).toBe('ENODEV'); // the old fd is disabled
    s.saveCleanup();
    expect(src.process.openFds()).toEqual([src.handle.fd]);
  });

  it('onReset reports each recovery reset with the failed SET; a recovered failure reports none', () => {
    const src = fakeHost('src');
    const resets: string[] = [];
    const s = new QemuV2Client(src.handle, { onReset: (cause) => resets.push(cause.errno) });
    src.dev.failArcs.set('RUNNING>PRE_COPY', 'EBUSY');
    expect(errnoOf(() => s.saveSetup(new QemuFileWriter()))).toBe('EBUSY'); // recovered to RUNNING
    expect(resets).toEqual([]);
    src.dev.failArcs.delete('RUNNING>PRE_COPY');
    s.saveSetup(new QemuFileWriter());
    src.dev.failArcs.set('PRE_COPY>STOP_COPY', 'EIO');
    expect(errnoOf(() => s.vmStateChange(false))).toBe('EIO');
    expect(resets).toEqual(['EIO']);
    expect(s.resets).toBe(1);
  });

  it('a failed recover also ends in a reset; a failed reset is hw_error (EIO, hwError)', () => {
    const src = fakeHost('src');
    const s = new QemuV2Client(src.handle);
    s.vmStateChange(false, 'paused'); // RUNNING → STOP
    s.saveSetup(new QemuFileWriter()); // STOP: no pre-copy
    expect(s.deviceState).toBe(STOP);
    src.dev.failArcs.set('STOP>STOP_COPY', 'EBUSY');
    src.dev.resetFails = true;
    let err: KernelError | undefined;
    try {
      s.saveComplete(new QemuFileWriter()); // recover = STOP: the device is still STOP, SET STOP is a no-op
    } catch (e) {
      err = e as KernelError;
    }
    expect(err?.errno).toBe('EBUSY');
    expect(s.deviceState).toBe(STOP);
    src.dev.failArcs.set('STOP>RUNNING', 'EIO');
    try {
      s.migrationFailed();
    } catch (e) {
      err = e as KernelError;
    }
    expect(err?.errno).toBe('EIO');
    expect(err?.context?.hwError).toBe(true);
  });

  it('a data fd while one is held is closed and EBADF ("out of sync")', () => {
    const src = fakeHost('src');
    const s = new QemuV2Client(src.handle);
    s.saveSetup(new QemuFileWriter());
    const held = s.dataFd;
    src.handle.reset(); // asynchronous reset: the kernel is RUNNING, QEMU still thinks PRE_COPY
    s.deviceState = RUNNING;
    expect(errnoOf(() => s.setState(PRE_COPY, RUNNING))).toBe('EBADF');
    expect(s.dataFd).toBe(held);
    expect(src.process.openFds()).toEqual([src.handle.fd, held]);
  });

  it('load: a rejected DATA record fails the load with the write errno; the device stays RESUMING', () => {
    const src = fakeHost('src');
    const dst = fakeHost('dst');
    const sections = save(new QemuV2Client(src.handle));
    sections[1]![16] = FAKE_MAGIC ^ 1; // corrupt the first device byte (after tag + size)
    const d = new QemuV2Client(dst.handle);
    d.loadSetup();
    expect(errnoOf(() => loadAll(d, sections))).toBe('EFAULT');
    expect(dst.handle.getMigState()).toBe(RESUMING);
    expect(dst.dev.resuming?.totalLength).toBe(0);
  });

  it('realize: a device without migration is ENOTTY; QEMU-10 skips a SET to the cached state', () => {
    const src = fakeHost('src');
    src.dev.migOps = undefined;
    expect(errnoOf(() => new QemuV2Client(src.handle))).toBe('ENOTTY');
    const b = fakeHost('b');
    const c = new QemuV2Client(b.handle);
    c.setState(RUNNING, RUNNING);
    expect(b.dev.arcs).toEqual([]);
    c.setState(STOP_COPY, STOP);
    expect(c.dataFd).toBeGreaterThan(0);
  });
});
