import { describe, expect, it } from 'vitest';
import { errnoOf } from '../errno/kernel-error.js';
import { defineStruct } from '../struct/struct-layout.js';
import { GuestMemory, PAGE_SIZE } from './guest-memory.js';
import { USER_HEAP_BASE, USER_MMAP_BASE, USER_VA_END, UserMemory } from './user-memory.js';

const vfio_device_feature = defineStruct('vfio_device_feature', [
  { name: 'argsz', type: 'u32' },
  { name: 'flags', type: 'u32' },
]);

describe('UserMemory', () => {
  it('allocates aligned zeroed heap buffers and moves structs through user pointers', () => {
    const um = new UserMemory(1 << 20);
    const a = um.alloc(3, 1);
    const b = um.alloc(8, 8);
    expect(a).toBe(USER_HEAP_BASE);
    expect(b % 8).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 3);
    const p = um.pushStruct(vfio_device_feature, { argsz: 16, flags: 1 << 16 });
    expect(um.readStruct(vfio_device_feature, p)).toEqual({ argsz: 16, flags: 1 << 16 });
    um.writeU64(b, 0x1234_5678_9abcn);
    expect(um.readU64(b)).toBe(0x1234_5678_9abcn);
    expect(um.readU32(b)).toBe(0x5678_9abc);
  });

  it('maps guest RAM and resolves user VAs to it (pin_user_pages)', () => {
    const um = new UserMemory();
    const ram = new GuestMemory(4 << 20);
    const va = um.mmap(ram);
    expect(va).toBe(USER_MMAP_BASE);
    um.writeU32(va + 0x2000, 0xfeed);
    expect(ram.readU32(0x2000)).toBe(0xfeed);
    expect(um.resolve(va + PAGE_SIZE, PAGE_SIZE)).toEqual({ memory: ram, offset: PAGE_SIZE });
    const va2 = um.mmap(ram, PAGE_SIZE, PAGE_SIZE);
    expect(va2).toBeGreaterThan(va + ram.size);
    expect(um.resolve(va2, 4).offset).toBe(PAGE_SIZE);
  });

  it('faults with EFAULT on NULL, unmapped and straddling ranges, writing nothing', () => {
    const um = new UserMemory(PAGE_SIZE);
    const ram = new GuestMemory(2 * PAGE_SIZE);
    const va = um.mmap(ram);
    expect(errnoOf(() => um.readU32(0))).toBe('EFAULT');
    expect(errnoOf(() => um.copyFromUser(USER_HEAP_BASE - 4, 8))).toBe('EFAULT');
    expect(errnoOf(() => um.copyToUser(va + 2 * PAGE_SIZE - 4, new Uint8Array(8).fill(1)))).toBe('EFAULT');
    expect(errnoOf(() => um.resolve(Number.NaN, 1))).toBe('EFAULT');
    expect(ram.touchedBytes()).toBe(0);
  });

  it('rejects bad allocations and mappings', () => {
    const um = new UserMemory(PAGE_SIZE);
    expect(errnoOf(() => um.alloc(PAGE_SIZE + 1))).toBe('ENOMEM');
    expect(errnoOf(() => um.alloc(4, 3))).toBe('EINVAL');
    expect(errnoOf(() => um.alloc(-1))).toBe('EINVAL');
    expect(um.alloc(PAGE_SIZE)).toBe(USER_HEAP_BASE);
    const ram = new GuestMemory(PAGE_SIZE);
    expect(errnoOf(() => um.mmap(ram, 1, PAGE_SIZE))).toBe('EINVAL');
    expect(errnoOf(() => um.mmap(ram, 0, 2 * PAGE_SIZE))).toBe('EINVAL');
    expect(um.heapStats().mappings).toBe(0);
  });

  it('free gives heap blocks back: zeroed, pages no longer resident, space reused; use returns to its start', () => {
    const um = new UserMemory(1 << 20);
    const start = um.heapStats();
    const big = um.alloc(3 * PAGE_SIZE, 8);
    um.copyToUser(big, new Uint8Array(3 * PAGE_SIZE).fill(7));
    const small = um.alloc(24, 8);
    um.writeU64(small, 0xabcn);
    expect(um.heapStats()).toMatchObject({ used: 3 * PAGE_SIZE + 24, blocks: 2 });
    expect(um.heapStats().residentBytes).toBeGreaterThanOrEqual(3 * PAGE_SIZE);
    um.free(big);
    expect(um.readU32(big + PAGE_SIZE)).toBe(0);
    expect(um.alloc(3 * PAGE_SIZE, 8)).toBe(big); // first fit finds the freed block
    um.free(big);
    um.free(small);
    um.free(0); // free(NULL) is a no-op
    expect(um.heapStats()).toEqual(start);
    // Many allocate/free rounds in a small heap never run out.
    for (let i = 0; i < 10_000; i++) um.free(um.alloc(64 << 10));
    expect(um.heapStats()).toEqual(start);
  });

  it('a bad or double free is EINVAL and changes nothing', () => {
    const um = new UserMemory(PAGE_SIZE);
    const a = um.alloc(16);
    um.writeU32(a, 5);
    const before = um.heapStats();
    expect(errnoOf(() => um.free(a + 8))).toBe('EINVAL');
    expect(errnoOf(() => um.free(USER_HEAP_BASE + 512))).toBe('EINVAL');
    expect(um.heapStats()).toEqual(before);
    expect(um.readU32(a)).toBe(5);
    um.free(a);
    expect(errnoOf(() => um.free(a))).toBe('EINVAL');
  });

  it("munmap gives a mapping's range back (a later mmap may reuse it); only whole mappings", () => {
    const um = new UserMemory();
    const ram = new GuestMemory(4 << 20);
    const va = um.mmap(ram);
    expect(errnoOf(() => um.munmap(va, PAGE_SIZE))).toBe('EINVAL');
    expect(errnoOf(() => um.munmap(va + PAGE_SIZE, ram.size))).toBe('EINVAL');
    expect(um.heapStats().mappings).toBe(1);
    um.munmap(va, ram.size);
    expect(um.heapStats().mappings).toBe(0);
    expect(errnoOf(() => um.readU32(va))).toBe('EFAULT');
    expect(errnoOf(() => um.munmap(va, ram.size))).toBe('EINVAL');
    expect(um.mmap(ram)).toBe(va);
    // A terabyte of guest RAM fits above USER_MMAP_BASE; the VA space is finite.
    const tib = new GuestMemory(2 ** 40);
    expect(um.mmap(tib)).toBeLessThan(USER_VA_END - 2 ** 40);
    expect(errnoOf(() => um.mmap(new GuestMemory(2 ** 47)))).toBe('ENOMEM');
  });
});
