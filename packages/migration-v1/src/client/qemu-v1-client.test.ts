import { errnoOf, KernelError } from '@vfio-sim/platform';
import { QemuFileReader, QemuFileWriter, VFIO_MIG_FLAG_DEV_DATA_STATE } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { regionHost as host, REGION_OFFSET } from '../__fixtures__/region-host.js';
import {
  VFIO_DEVICE_STATE_V1_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_V1_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_IS_ERROR,
} from '../uapi/device-state.js';
import { QemuV1Client } from './qemu-v1-client.js';
import { ProcessRegionIo } from './region-io.js';

describe('QemuV1Client', () => {
  it('migrates a device state source → destination through the QEMU v1 sequences', () => {
    const state = Uint8Array.from({ length: 45 }, (_, i) => (i * 7) & 0xff);
    const src = host(state, 10);
    const dst = host(new Uint8Array(), 0);
    const out = new QemuFileWriter();

    src.client.saveSetup(out);
    expect(src.region.state).toBe(3); // pre-copy
    let moved = 0;
    for (;;) {
      src.client.savePending();
      const step = src.client.saveIterate(out);
      moved += step.bytes;
      if (step.done) break;
    }
    expect(moved).toBe(10); // only the pre-copy part while running
    src.client.vmStop();
    expect(src.client.announcedBytes).toBe(10); // pending_bytes before the pre-copy read
    moved += src.client.saveComplete(out);
    expect(moved).toBe(45);
    expect(src.client.announcedBytes).toBe(45); // + pending_bytes at the start of stop-and-copy
    expect(src.region.state).toBe(0);

    dst.client.loadSetup();
    expect(dst.region.state).toBe(RESUMING);
    const input = new QemuFileReader(out.toBytes());
    let loaded = 0;
    while (input.remaining > 0) loaded += dst.client.loadState(input);
    dst.client.vmStart();
    expect(loaded).toBe(45);
    expect(dst.device.loaded).toEqual([...state]);
    expect(dst.region.state).toBe(RUNNING);
    // Every register access was one naturally aligned 1/2/4/8-byte syscall.
    expect(new Set([...src.accesses, ...dst.accesses])).toEqual(new Set([1, 2, 4, 8]));
  });

  it('cancel from pre-copy returns the device to RUNNING', () => {
    const src = host(new Uint8Array(20), 4);
    src.client.saveSetup(new QemuFileWriter());
    src.client.cancel();
    expect(src.region.state).toBe(RUNNING);
    expect(src.device.arcs).toEqual(['1->3', '3->1']);
  });

  it("close frees the region accessor's buffer: 1,000 clients on one process leave its heap as it was", () => {
    const src = host(new Uint8Array(20), 4);
    src.client.close();
    const start = src.process.mm.heapStats();
    for (let i = 0; i < 1000; i++) {
      const c = new QemuV1Client(new ProcessRegionIo(src.process, src.fd, REGION_OFFSET), src.region.size);
      c.saveSetup(new QemuFileWriter());
      c.cancel();
      c.close();
      c.close(); // twice: nothing more to give back
    }
    expect(src.region.state).toBe(RUNNING);
    expect(src.process.mm.heapStats()).toMatchObject({ used: start.used, blocks: start.blocks });
  });

  it('an invalid computed state is EINVAL and nothing is written', () => {
    const src = host(new Uint8Array(4), 0);
    src.client.loadSetup(); // 100
    expect(errnoOf(() => src.client.setState(0xffff_ffff, 2))).toBe('EINVAL'); // 110 would be the error state
    expect(src.region.state).toBe(RESUMING);
  });

  it('a failed write that leaves the device in the error state is fatal (hw_error)', () => {
    const src = host(new Uint8Array(4), 0);
    src.device.failNext = { errno: 'EIO', lose: true };
    try {
      src.client.saveSetup(new QemuFileWriter());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KernelError);
      expect((e as KernelError).context).toMatchObject({ hwError: true });
    }
    expect(VFIO_DEVICE_STATE_IS_ERROR(src.region.state)).toBe(true);
    src.device.failNext = { errno: 'EBUSY', lose: false };
    src.region.reset();
    expect(errnoOf(() => src.client.saveSetup(new QemuFileWriter()))).toBe('EBUSY'); // recoverable: the errno
    expect(src.region.state).toBe(RUNNING);
  });

  it('load rejects unknown tags and truncated streams', () => {
    const dst = host(new Uint8Array(), 0);
    dst.client.loadSetup();
    const bad = new QemuFileWriter();
    bad.putBe64(0x1234n);
    expect(errnoOf(() => dst.client.loadState(new QemuFileReader(bad.toBytes())))).toBe('EINVAL');
    const truncated = new QemuFileWriter();
    truncated.putBe64(VFIO_MIG_FLAG_DEV_DATA_STATE);
    truncated.putBe64(10n);
    truncated.putBuffer(new Uint8Array(3));
    expect(errnoOf(() => dst.client.loadState(new QemuFileReader(truncated.toBytes())))).toBe('EIO');
  });
});
