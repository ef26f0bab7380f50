import { errnoOf, KernelError } from '@vfio-sim/platform';
import {
  QemuFileReader,
  QemuFileWriter,
  VFIO_MIG_FLAG_DEV_CONFIG_STATE,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
  type VfioDeviceConfigOps,
} from '@vfio-sim/vfio-core';
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

  describe('the CONFIG section (the VMM’s config state of the device)', () => {
    /** A config state of 3 bytes that records what the destination loaded. */
    function configOps(bytes: number[], fail = false) {
      const loaded: number[][] = [];
      const ops: VfioDeviceConfigOps = {
        save: (out) => out.putBuffer(Uint8Array.from(bytes)),
        load: (input) => {
          const got = [...input.getBuffer(bytes.length)];
          if (fail) throw new KernelError('EINVAL', 'Bad config data');
          loaded.push(got);
        },
      };
      return { ops, loaded };
    }

    /** The tags of a device section, skipping DATA payloads and a 3-byte config payload. */
    function tags(section: Uint8Array): string[] {
      const r = new QemuFileReader(section);
      const out: string[] = [];
      while (r.remaining > 0) {
        const tag = r.getBe64();
        if (tag === VFIO_MIG_FLAG_DEV_DATA_STATE) r.getBuffer(Number(r.getBe64()));
        if (tag === VFIO_MIG_FLAG_DEV_CONFIG_STATE) r.getBuffer(3);
        out.push(
          tag === VFIO_MIG_FLAG_DEV_CONFIG_STATE
            ? 'CONFIG'
            : tag === VFIO_MIG_FLAG_DEV_DATA_STATE
              ? 'DATA'
              : 'END',
        );
      }
      return out;
    }

    /** Stop-and-copy of `state` through `src` (no pre-copy); returns its section and the save_state one. */
    function stopAndCopy(src: ReturnType<typeof host>) {
      const complete = new QemuFileWriter();
      src.client.vmStop();
      src.client.saveComplete(complete);
      const state = new QemuFileWriter();
      src.client.saveState(state);
      return { complete: complete.toBytes(), state: state.toBytes() };
    }

    it('QEMU 6.0+ (save-state, the default): its own section after the data; loaded on its own', () => {
      const state = Uint8Array.from({ length: 20 }, (_, i) => i);
      const src = host(state, 0, 16, { config: configOps([1, 2, 3]).ops });
      const dstConfig = configOps([1, 2, 3]);
      const dst = host(new Uint8Array(), 0, 16, { config: dstConfig.ops });
      const { complete, state: configSection } = stopAndCopy(src);
      expect(src.client.configPlacement).toBe('save-state');
      expect(tags(complete)).toEqual(['DATA', 'DATA', 'END']);
      expect(tags(configSection)).toEqual(['CONFIG', 'END']);
      dst.client.loadSetup();
      expect(dst.client.loadState(new QemuFileReader(complete))).toBe(20);
      expect(dst.client.loadState(new QemuFileReader(configSection))).toBe(0);
      expect(dstConfig.loaded).toEqual([[1, 2, 3]]);
      expect(dst.device.loaded).toEqual([...state]);
    });

    it('QEMU 5.2 (complete-precopy): first in the stop-and-copy section, the data read on after it', () => {
      const state = Uint8Array.from({ length: 20 }, (_, i) => i);
      const options = { configPlacement: 'complete-precopy' } as const;
      const src = host(state, 0, 16, { ...options, config: configOps([7, 8, 9]).ops });
      const dstConfig = configOps([7, 8, 9]);
      const dst = host(new Uint8Array(), 0, 16, { ...options, config: dstConfig.ops });
      const { complete, state: configSection } = stopAndCopy(src);
      expect(tags(complete)).toEqual(['CONFIG', 'END', 'DATA', 'DATA', 'END']);
      expect(configSection).toHaveLength(0);
      dst.client.loadSetup();
      expect(dst.client.loadState(new QemuFileReader(complete))).toBe(20);
      expect(dstConfig.loaded).toEqual([[7, 8, 9]]);
      expect(dst.device.loaded).toEqual([...state]);
    });

    it('a config the destination refuses fails the load with its errno; with 5.2 no data reaches the device', () => {
      const src = host(new Uint8Array(20), 0, 16, {
        configPlacement: 'complete-precopy',
        config: configOps([1, 2, 3]).ops,
      });
      const dstConfig = configOps([1, 2, 3], true);
      const dst = host(new Uint8Array(), 0, 16, {
        configPlacement: 'complete-precopy',
        config: dstConfig.ops,
      });
      const { complete } = stopAndCopy(src);
      dst.client.loadSetup();
      expect(errnoOf(() => dst.client.loadState(new QemuFileReader(complete)))).toBe('EINVAL');
      expect(dst.device.loaded).toEqual([]);
      expect(dst.region.state).toBe(RESUMING);
    });

    it('a config section not closed by END_OF_STATE is EINVAL', () => {
      const dst = host(new Uint8Array(), 0, 16, { config: configOps([1, 2, 3]).ops });
      const w = new QemuFileWriter();
      w.putBe64(VFIO_MIG_FLAG_DEV_CONFIG_STATE);
      w.putBuffer(Uint8Array.of(1, 2, 3));
      w.putBe64(VFIO_MIG_FLAG_DEV_DATA_STATE);
      dst.client.loadSetup();
      expect(errnoOf(() => dst.client.loadState(new QemuFileReader(w.toBytes())))).toBe('EINVAL');
    });
  });
});
