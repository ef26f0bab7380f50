import { errnoOf, GuestMemory, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { vfGuest } from '../__fixtures__/vf-guest.js';
import { createHost } from '../host/host.js';
import { liveMigrateV2 } from '../migration/live-migration-v2.js';
import { MemoryToucher, startTouchStream } from './memory-toucher.js';

describe('MemoryToucher', () => {
  it('fills its range with seeded pages that verify, and only its range', () => {
    const mem = new GuestMemory(8 << 20);
    const t = new MemoryToucher({ base: 1 << 20, bytes: 3 << 20, seed: 9 });
    expect(t.pages).toBe(768);
    expect(t.verify(mem)).toEqual([]); // nothing written yet: every page reads as zeros, as it should
    t.touch(mem);
    expect(t.verify(mem)).toEqual([]);
    expect(mem.touchedBytes()).toBe(3 << 20);
    expect(mem.readU32((1 << 20) + 4)).toBe(256); // the stamp: seed, page frame number, write count
    expect([mem.readU32(1 << 20), mem.readU32((1 << 20) + 8)]).toEqual([9, 1]);
    // the same seed writes the same bytes; another seed other bytes
    const again = new GuestMemory(8 << 20);
    new MemoryToucher({ base: 1 << 20, bytes: 3 << 20, seed: 9 }).touch(again);
    // Buffer.equals, not toEqual: vitest's deep equality walks 3 MiB element by element (seconds)
    expect(Buffer.from(again.readBytes(1 << 20, 3 << 20)).equals(mem.readBytes(1 << 20, 3 << 20))).toBe(true);
    const other = new GuestMemory(8 << 20);
    new MemoryToucher({ base: 1 << 20, bytes: 3 << 20, seed: 10 }).touch(other);
    expect(t.verify(other)).toHaveLength(768);
  });

  it('verify finds a changed byte, a missing page and a stale one', () => {
    const mem = new GuestMemory(4 << 20);
    const t = new MemoryToucher({ base: 0, bytes: 1 << 20, seed: 1 });
    t.touch(mem);
    const before = mem.readBytes(0, 1 << 20);
    t.rewrite(mem, 3);
    const page = (m: GuestMemory | Uint8Array, p: number) =>
      m instanceof GuestMemory ? m.readBytes(p * 4096, 4096) : m.subarray(p * 4096, (p + 1) * 4096);
    const rewritten = [...Array(256).keys()].filter(
      (p) => !page(mem, p).every((b, i) => b === page(before, p)[i]),
    );
    expect(rewritten.length).toBeGreaterThan(0);
    expect(t.verify(mem)).toEqual([]);
    const [flipped, dropped] = [...Array(256).keys()].filter((p) => !rewritten.includes(p));
    mem.writeU8(flipped! * 4096 + 4000, mem.readU8(flipped! * 4096 + 4000) ^ 1);
    mem.discard(dropped! * 4096, 4096);
    expect(t.verify(mem)).toEqual([flipped, dropped]);
    const stale = new GuestMemory(4 << 20);
    stale.write(0, before); // what the guest wrote first, not its rewrites
    expect(t.verify(stale)).toEqual(rewritten);
  });

  it('refuses a range outside RAM (EFAULT, nothing written) and ranges that are not whole pages (EINVAL)', () => {
    const mem = new GuestMemory(1 << 20);
    const t = new MemoryToucher({ base: 512 << 10, bytes: 1 << 20, seed: 1 });
    expect(errnoOf(() => t.touch(mem))).toBe('EFAULT');
    expect(errnoOf(() => t.rewrite(mem, 1))).toBe('EFAULT');
    expect(mem.touchedBytes()).toBe(0);
    expect(errnoOf(() => new MemoryToucher({ base: 100, bytes: 4096, seed: 1 }))).toBe('EINVAL');
    expect(errnoOf(() => new MemoryToucher({ base: 0, bytes: 0, seed: 1 }))).toBe('EINVAL');
    expect(errnoOf(() => new MemoryToucher({ base: 0, bytes: 4097, seed: 1 }))).toBe('EINVAL');
    expect(errnoOf(() => new MemoryToucher({ base: 0, bytes: 4096, seed: 1 }).rewrite(mem, -1))).toBe(
      'EINVAL',
    );
  });

  it('a touch stream keeps dirtying RAM during a live migration: the destination holds what the guest wrote last', () => {
    const clock = new VirtualClock();
    const src = createHost({ name: 'source', clock, numVfs: 1 });
    const dst = createHost({ name: 'destination', clock, numVfs: 1 });
    const { vm } = vfGuest(src, 64 << 20);
    const toucher = new MemoryToucher({ base: 16 << 20, bytes: 8 << 20, seed: 77 });
    toucher.touch(vm.memory);
    const stream = startTouchStream({ vm, toucher, periodUs: 100, pagesPerTick: 8, limit: 1000 });
    const { destination, report } = liveMigrateV2({ source: vm, destination: dst });
    expect(stream.ticks).toBeGreaterThan(0);
    expect(report.ram.check.mismatchedPages).toEqual([]);
    expect(toucher.verify(destination.memory)).toEqual([]);
    // the rounds after the first found the toucher's stores in the CPU dirty log
    expect(report.ram.rounds.slice(0, -1).some((r) => r.cpuDirtyPages >= 8)).toBe(true);
    expect(report.guestMemory.bytes + report.ram.precopyBytes).toBeGreaterThanOrEqual(8 << 20);
    expect(errnoOf(() => startTouchStream({ vm, toucher, periodUs: 0, pagesPerTick: 1, limit: 1 }))).toBe(
      'EINVAL',
    );
  });
});
