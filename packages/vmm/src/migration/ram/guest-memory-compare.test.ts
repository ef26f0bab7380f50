import { errnoOf, GuestMemory, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { MigrationLink } from '../../link/link.js';
import { PageBitmap } from '../../vm/page-bitmap.js';
import { compareGuestMemory } from './guest-memory-compare.js';
import { sendRamPages } from './ram-pages.js';

describe('compareGuestMemory', () => {
  it('compares every page either side touched; a zero-filled page equals an untouched one', () => {
    const a = new GuestMemory(1 << 20);
    const b = new GuestMemory(1 << 20);
    a.writeU32(0x1000, 5);
    b.writeU32(0x1000, 5);
    a.writeU32(0x2000, 1); // only on a
    b.writeU32(0x3000, 0); // touched on b, but zero like a's untouched page
    b.writeU8(0x4fff, 9); // only on b
    expect(compareGuestMemory(a, b)).toEqual({ pagesCompared: 4, mismatchedPages: [2, 4] });
  });

  it('refuses memories of different sizes (EINVAL)', () => {
    expect(errnoOf(() => compareGuestMemory(new GuestMemory(4096), new GuestMemory(8192)))).toBe('EINVAL');
  });
});

describe('sendRamPages', () => {
  it('copies the pages set in the bitmap and costs their transfer time on the link', () => {
    const clock = new VirtualClock();
    const src = new GuestMemory(1 << 20);
    const dst = new GuestMemory(1 << 20);
    src.writeU32(0x1000, 1);
    src.writeU32(0x7000, 7);
    src.writeU32(0x9000, 9); // not in the bitmap
    const pages = new PageBitmap(256);
    pages.set(1);
    pages.set(7);
    const link = new MigrationLink(clock, 1024);
    expect(sendRamPages(src, dst, pages, link)).toBe(2);
    expect(clock.now()).toBe(8);
    expect(dst.touchedPages()).toEqual([1, 7]);
    expect(dst.readU32(0x7000)).toBe(7);
  });

  it('refuses a bitmap of another size (EINVAL, nothing copied, no time)', () => {
    const clock = new VirtualClock();
    const src = new GuestMemory(1 << 20);
    src.writeU32(0, 1);
    const dst = new GuestMemory(1 << 20);
    const pages = new PageBitmap(10);
    pages.set(0);
    expect(errnoOf(() => sendRamPages(src, dst, pages, new MigrationLink(clock)))).toBe('EINVAL');
    expect(dst.touchedPages()).toEqual([]);
    expect(clock.now()).toBe(0);
  });
});
