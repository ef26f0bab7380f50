import { errnoOf } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { QemuFileReader, QemuFileWriter, VFIO_MIG_FLAG_DEV_DATA_STATE } from './qemu-file.js';

describe('QemuFileWriter / QemuFileReader', () => {
  it('round-trips big-endian words and buffers; a put buffer is copied (the caller may reuse it)', () => {
    const w = new QemuFileWriter();
    const data = Uint8Array.of(1, 2, 3);
    w.putBe64(VFIO_MIG_FLAG_DEV_DATA_STATE);
    w.putBe64(3n);
    w.putBuffer(data);
    data.fill(0xee);
    expect(w.size).toBe(19);
    const bytes = w.toBytes();
    expect([...bytes.subarray(0, 8)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x04]);
    const r = new QemuFileReader(bytes);
    expect(r.getBe64()).toBe(VFIO_MIG_FLAG_DEV_DATA_STATE);
    expect(r.getBe64()).toBe(3n);
    expect([...r.getBuffer(3)]).toEqual([1, 2, 3]);
    expect(r.remaining).toBe(0);
  });

  it('fails a read past the end with EIO and consumes nothing', () => {
    const r = new QemuFileReader(new Uint8Array(4));
    expect(errnoOf(() => r.getBe64())).toBe('EIO');
    expect(r.remaining).toBe(4);
  });
});
