import { errnoOf, KernelError } from '@vfio-sim/platform';
import {
  QemuFileReader,
  QemuFileWriter,
  VFIO_MIG_FLAG_DEV_CONFIG_STATE,
  VFIO_MIG_FLAG_END_OF_STATE,
  type VfioDeviceConfigOps,
} from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import {
  FAKE_MAGIC,
  fakeHost,
  fakeState,
  PRE_COPY,
  PRE_COPY_P2P,
  RESUMING,
  RUNNING,
  RUNNING_P2P,
  STOP,
  STOP_COPY,
} from '../__fixtures__/fake-v2-device.js';
import { VFIO_MIGRATION_P2P, VFIO_MIGRATION_PRE_COPY, VFIO_MIGRATION_STOP_COPY } from '../fsm/mig-state.js';
import {
  QemuV2Client,
  VFIO_MIG_DEFAULT_DATA_BUFFER_SIZE,
  VFIO_MIG_STOP_COPY_SIZE,
} from './qemu-v2-client.js';
import { qemuV2LoadDevice, qemuV2SaveDevice } from './qemu-v2-sequence.js';

const save = (c: QemuV2Client, iterations = 3) => qemuV2SaveDevice(c, { iterations });

function loadAll(c: QemuV2Client, sections: Uint8Array[]): void {
  for (const s of sections) c.loadState(new QemuFileReader(s));
}

const load = qemuV2LoadDevice;

// The whole PRE_COPY migration and the switchover-ack round trip run on the real mtty driver
// (@vfio-sim/mtty, src/migration/qemu-v2-migration.test.ts); here the fake covers what it alone can
// (a STOP_COPY-only device, ENOMSG, injected faults).
describe('QemuV2Client: a whole migration between two devices', () => {
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

describe('QemuV2Client: the CONFIG section (vfio_save_state / vfio_load_device_config_state)', () => {
  /** A 4-byte config state that records what the destination loaded (and refuses it when told to). */
  function configOps(bytes: number[], refuse = false) {
    const loaded: number[][] = [];
    const ops: VfioDeviceConfigOps = {
      save: (out) => out.putBuffer(Uint8Array.from(bytes)),
      load: (input) => {
        const got = [...input.getBuffer(bytes.length)];
        if (refuse) throw new KernelError('EINVAL', 'Bad config data');
        loaded.push(got);
      },
    };
    return { ops, loaded };
  }

  it('the last section carries the config state: CONFIG, the VMM’s bytes, END; loaded after the data', () => {
    const src = fakeHost('src', { state: fakeState(100, 1) });
    const dst = fakeHost('dst', { state: fakeState(100, 2) });
    const sections = save(new QemuV2Client(src.handle, { config: configOps([9, 8, 7, 6]).ops }));
    const last = new QemuFileReader(sections.at(-1)!);
    expect(last.getBe64()).toBe(VFIO_MIG_FLAG_DEV_CONFIG_STATE);
    expect([...last.getBuffer(4)]).toEqual([9, 8, 7, 6]);
    expect(last.getBe64()).toBe(VFIO_MIG_FLAG_END_OF_STATE);
    const dstConfig = configOps([9, 8, 7, 6]);
    load(new QemuV2Client(dst.handle, { config: dstConfig.ops }), sections);
    expect(dstConfig.loaded).toEqual([[9, 8, 7, 6]]);
    expect(dst.dev.state).toEqual(src.dev.state);
  });

  it('without config ops the section is empty (CONFIG, END) and a destination without them reads it', () => {
    const src = fakeHost('src', { state: fakeState(100, 1) });
    const dst = fakeHost('dst', { state: fakeState(100, 2) });
    const sections = save(new QemuV2Client(src.handle));
    expect(sections.at(-1)).toHaveLength(16);
    load(new QemuV2Client(dst.handle), sections);
    expect(dst.dev.state).toEqual(src.dev.state);
  });

  it('a config the destination refuses fails its load with the errno; the device stays RESUMING', () => {
    const src = fakeHost('src', { state: fakeState(100, 1) });
    const dst = fakeHost('dst', { state: fakeState(100, 2) });
    const sections = save(new QemuV2Client(src.handle, { config: configOps([1, 2, 3, 4]).ops }));
    const d = new QemuV2Client(dst.handle, { config: configOps([1, 2, 3, 4], true).ops });
    d.loadSetup();
    loadAll(d, sections.slice(0, -1));
    expect(errnoOf(() => d.loadState(new QemuFileReader(sections.at(-1)!)))).toBe('EINVAL');
    expect(dst.handle.getMigState()).toBe(RESUMING);
  });
});

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

describe('QemuV2Client: the VM-state prepare handler (vfio_vmstate_change_prepare)', () => {
  const P2P = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY;

  it('a P2P device: RUNNING → RUNNING_P2P on start or stop; PRE_COPY → PRE_COPY_P2P, then STOP_COPY', () => {
    const a = fakeHost('a', { flags: P2P });
    const c = new QemuV2Client(a.handle);
    expect(c.hasP2p).toBe(true);
    c.vmStateChangePrepare();
    expect(a.handle.getMigState()).toBe(RUNNING_P2P);
    c.vmStateChange(true);
    expect(a.handle.getMigState()).toBe(RUNNING);

    const b = fakeHost('b', { flags: P2P, state: fakeState(50) });
    const s = new QemuV2Client(b.handle);
    s.saveSetup(new QemuFileWriter());
    s.vmStateChangePrepare();
    expect(b.handle.getMigState()).toBe(PRE_COPY_P2P);
    s.vmStateChange(false, 'finish-migrate');
    expect(b.handle.getMigState()).toBe(STOP_COPY);
    expect(b.dev.arcs).toEqual(['RUNNING>PRE_COPY', 'PRE_COPY>PRE_COPY_P2P', 'PRE_COPY_P2P>STOP_COPY']);
  });

  it('a device without P2P has no prepare handler (EINVAL, nothing touched)', () => {
    const a = fakeHost('a');
    const c = new QemuV2Client(a.handle);
    expect(c.hasP2p).toBe(false);
    expect(errnoOf(() => c.vmStateChangePrepare())).toBe('EINVAL');
    expect(a.handle.getMigState()).toBe(RUNNING);
    expect(a.dev.arcs).toEqual([]);
  });
});
describe('QemuV2Client: user memory', () => {
  it('the data buffer lives from save_setup to save_cleanup; close frees the rest', () => {
    const src = fakeHost('src', { state: fakeState(300, 3), precopyBytes: 40 });
    const mm = src.process.mm;
    const start = mm.heapStats();
    const s = new QemuV2Client(src.handle, { maxBufferSize: 64 });
    s.saveSetup(new QemuFileWriter());
    expect(mm.heapStats().used).toBe(start.used + 64 + 4096); // data buffer + scratch (PRECOPY_INFO)
    // A second setup (refused in PRE_COPY) replaces the buffer first: it does not leak one.
    expect(errnoOf(() => s.saveSetup(new QemuFileWriter()))).toBe('EINVAL');
    expect(mm.heapStats().used).toBe(start.used + 64 + 4096);
    s.vmStateChange(false, 'finish-migrate');
    s.saveComplete(new QemuFileWriter());
    s.saveCleanup();
    expect(mm.heapStats().used).toBe(start.used + 4096);
    s.close();
    s.close();
    expect(mm.heapStats()).toMatchObject({ used: start.used, blocks: start.blocks, free: start.free });
  });

  it('1,000 migrations between two processes leave both heaps and fd tables as they were', () => {
    const a = fakeHost('a', { state: fakeState(300, 3) });
    const b = fakeHost('b', { state: fakeState(300, 9) });
    const migrate = (i: number) => {
      const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
      const s = new QemuV2Client(from.handle, { maxBufferSize: 128 });
      const d = new QemuV2Client(to.handle);
      expect(load(d, save(s))).toBe(300);
      s.vmStateChange(true); // the source device back to RUNNING for the next round
      s.close();
      d.close();
    };
    const heaps = () => [a, b].map((h) => ({ heap: h.process.mm.heapStats(), fds: h.process.openFds() }));
    // After one round in each direction (the device handles' scratch pages have been touched once).
    migrate(0);
    migrate(1);
    const start = heaps();
    for (let i = 0; i < 1000; i++) migrate(i);
    expect(heaps()).toEqual(start);
  });

  it('close also closes a data fd still held (an aborted load)', () => {
    const dst = fakeHost('dst');
    const d = new QemuV2Client(dst.handle);
    d.loadSetup();
    const fd = d.dataFd as number;
    expect(dst.process.openFds()).toEqual([dst.handle.fd, fd]); // the RESUMING data fd is open
    d.close();
    expect(d.dataFd).toBeUndefined();
    expect(dst.process.openFds()).toEqual([dst.handle.fd]);
  });
});
