import { bench, describe } from 'vitest';
import { defineStruct } from './struct-layout.js';

const vfio_region_info = defineStruct('vfio_region_info', [
  { name: 'argsz', type: 'u32' },
  { name: 'flags', type: 'u32' },
  { name: 'index', type: 'u32' },
  { name: 'cap_offset', type: 'u32' },
  { name: 'size', type: 'u64' },
  { name: 'offset', type: 'u64' },
]);
const value = { argsz: 32, flags: 7, index: 2, cap_offset: 0, size: 0x8000n, offset: 2n << 40n };
const buf = new Uint8Array(32);

describe('vfio_region_info encode + decode (32 bytes)', () => {
  bench('baseline: hand-written DataView code', () => {
    const v = new DataView(buf.buffer);
    v.setUint32(0, value.argsz, true);
    v.setUint32(4, value.flags, true);
    v.setUint32(8, value.index, true);
    v.setUint32(12, value.cap_offset, true);
    v.setBigUint64(16, value.size, true);
    v.setBigUint64(24, value.offset, true);
    const out = {
      argsz: v.getUint32(0, true),
      flags: v.getUint32(4, true),
      index: v.getUint32(8, true),
      cap_offset: v.getUint32(12, true),
      size: v.getBigUint64(16, true),
      offset: v.getBigUint64(24, true),
    };
    if (out.argsz !== 32) throw new Error('bad');
  });
  bench('StructLayout.encode + decode', () => {
    vfio_region_info.encode(value, buf);
    const out = vfio_region_info.decode(buf);
    if (out.argsz !== 32) throw new Error('bad');
  });
});
