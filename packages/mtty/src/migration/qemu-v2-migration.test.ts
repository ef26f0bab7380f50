import {
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  QemuFileReader,
  QemuFileWriter,
  QemuV2Client,
  qemuV2LoadDevice,
  qemuV2SaveDevice,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_MIG_FLAG_DEV_INIT_DATA_SENT,
} from '@vfio-sim/migration-v2';
import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { guestUarts, type MttyBed, mttyBed, portBytes } from '../__fixtures__/mtty-host.js';
import { MttyLoopbackWorkload } from '../guest/loopback-workload.js';
import { VfioRegionUartIo } from '../guest/uart-io.js';

/*
 * QEMU's v2 client (migration-v2) driving two real mtty devices. The first two tests were the "whole
 * migration" tests of migration-v2's client on its mtty-shaped fake; they live here now, on the driver.
 */

function withBytes(name: string): MttyBed {
  const bed = mttyBed(name);
  const [u0, u1] = guestUarts(bed);
  u0!.write(new TextEncoder().encode('in flight'));
  u1!.write(Uint8Array.of(0xa5, 0x5a));
  return bed;
}

describe('QemuV2Client migrating an mtty (hw/vfio/migration.c on samples/vfio-mdev/mtty.c)', () => {
  it('pre-copy carries the 24-byte header, stop-copy the ports; the destination gets every port byte', () => {
    const src = withBytes('src');
    const dst = mttyBed('dst');
    const s = new QemuV2Client(src.handle, { maxBufferSize: 64 });
    const w = new QemuFileWriter();
    s.saveSetup(w);
    expect(s.deviceState).toBe(PRE_COPY);
    expect(src.handle.getMigState()).toBe(PRE_COPY);
    expect([s.precopyInitSize, s.precopyDirtySize]).toEqual([24, 0]);
    expect(s.stopCopySize).toBe(96); // MIG_DATA_SIZE: mtty_data_size()
    expect(s.statePendingEstimate()).toBe(24);
    expect(s.statePendingExact()).toBe(96);
    const sections = [w.toBytes()];
    for (let i = 0; i < 3 && s.isActiveIterate(); i++) {
      const it = new QemuFileWriter();
      s.saveIterate(it);
      sections.push(it.toBytes());
    }
    expect([s.precopyInitSize, s.precopyDirtySize]).toEqual([0, 0]);
    s.vmStateChange(false, 'finish-migrate'); // PRE_COPY → PRE_COPY_P2P → STOP_COPY, same data fd
    const c = new QemuFileWriter();
    s.saveComplete(c);
    sections.push(c.toBytes());
    s.saveCleanup();
    expect(src.handle.getMigState()).toBe(STOP);
    expect(s.dataFd).toBeUndefined();
    expect(src.process.openFds()).toEqual([src.handle.fd]);

    const d = new QemuV2Client(dst.handle);
    expect(qemuV2LoadDevice(d, sections)).toBe(96);
    expect(dst.handle.getMigState()).toBe(RUNNING);
    expect(portBytes(dst.mdevState)).toEqual(portBytes(src.mdevState));
  });

  it('switchover-ack: INIT_DATA_SENT once the header is drained; the destination approves; without the capability EINVAL', () => {
    const src = withBytes('src');
    const dst = mttyBed('dst');
    const s = new QemuV2Client(src.handle, { switchoverAck: true });
    const sections = qemuV2SaveDevice(s);
    expect(s.initialDataSent).toBe(true);
    const tags = sections.map((b) => new DataView(b.buffer, b.byteOffset).getBigUint64(b.length - 8, false));
    expect(tags).toContain(VFIO_MIG_FLAG_DEV_INIT_DATA_SENT);
    const d = new QemuV2Client(dst.handle, { switchoverAck: true });
    qemuV2LoadDevice(d, sections);
    expect(d.switchoverApproved).toBe(true);
    expect(portBytes(dst.mdevState)).toEqual(portBytes(src.mdevState));
    const e = mttyBed('e');
    const d2 = new QemuV2Client(e.handle);
    d2.loadSetup();
    expect(
      errnoOf(() => {
        for (const b of sections) d2.loadState(new QemuFileReader(b));
      }),
    ).toBe('EINVAL');
  });

  it('an mtty workload: every byte the guest sent is read back exactly once, in order, across the migration', () => {
    const src = mttyBed('src');
    const dst = mttyBed('dst');
    const uarts = guestUarts(src);
    const work = new MttyLoopbackWorkload(uarts, 42);
    work.run(40);
    expect(work.inFlight(0) + work.inFlight(1)).toBeGreaterThan(0); // bytes sit in the FIFOs at the stop
    const sections = qemuV2SaveDevice(new QemuV2Client(src.handle, { switchoverAck: true }));
    qemuV2LoadDevice(new QemuV2Client(dst.handle, { switchoverAck: true }), sections);
    for (const [bar, u] of uarts.entries()) u.attach(VfioRegionUartIo.of(dst.handle, bar));
    work.run(40);
    work.drain();
    for (const t of work.verify()) {
      expect(t.sent).toBeGreaterThan(0);
      expect(t).toEqual({ sent: t.sent, received: t.sent, inFlight: 0, firstMismatch: -1 });
    }
  });
});
