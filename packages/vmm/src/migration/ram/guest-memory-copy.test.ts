import { errnoOf, GuestMemory } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { copyGuestMemory } from './guest-memory-copy.js';

describe('copyGuestMemory', () => {
  it('copies every touched page and nothing else', () => {
    const src = new GuestMemory(1 << 20);
    src.write(0x1ffe, Uint8Array.of(1, 2, 3, 4)); // straddles pages 1 and 2
    src.writeU32(0x8_0000, 0xdead_beef);
    const dst = new GuestMemory(1 << 20);
    expect(copyGuestMemory(src, dst)).toEqual({ pages: 3, bytes: 3 * 4096 });
    expect(dst.touchedPages()).toEqual([1, 2, 0x80]);
    expect(dst.readBytes(0x1ffe, 4)).toEqual(Uint8Array.of(1, 2, 3, 4));
    expect(dst.readU32(0x8_0000)).toBe(0xdead_beef);
  });

  it('refuses memories of different sizes (EINVAL, nothing copied)', () => {
    const src = new GuestMemory(1 << 20);
    src.writeU32(0, 1);
    const dst = new GuestMemory(2 << 20);
    expect(errnoOf(() => copyGuestMemory(src, dst))).toBe('EINVAL');
    expect(dst.touchedPages()).toEqual([]);
  });
});
