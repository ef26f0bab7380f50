import { KernelError } from '../errno/kernel-error.js';
import type { FieldDecl, StructLayout, StructValue } from '../struct/struct-layout.js';
import { GuestMemory, PAGE_SIZE } from './guest-memory.js';

/** Base of the anonymous heap in a {@link UserMemory} (the NULL page and everything below stay unmapped). */
export const USER_HEAP_BASE = 0x1000_0000;
/** Base of the area where guest RAM is mapped into the process (QEMU's RAM blocks live up here). */
export const USER_MMAP_BASE = 0x7f00_0000_0000;
const MMAP_ALIGN = 2 << 20;

interface Mapping {
  readonly va: number;
  readonly length: number;
  readonly memory: GuestMemory;
  readonly offset: number;
}

/** Where a user virtual address range lives: a backing memory and the offset in it. */
export interface ResolvedUserRange {
  readonly memory: GuestMemory;
  readonly offset: number;
}

/**
 * A userspace process's virtual address space — the VMM's — so ioctl arguments carry real user pointers.
 *
 * The kernel never trusts a user pointer: `copy_from_user` / `copy_to_user` fault with EFAULT on an
 * address that is not mapped. The model keeps that: structs are passed by address, embedded pointers
 * (a DMA-logging range array, a dirty bitmap) are addresses too, and a bad one fails with EFAULT.
 *
 * Two kinds of mappings: an anonymous heap at {@link USER_HEAP_BASE} (a bump allocator hands out client
 * buffers), and guest RAM mapped with {@link mmap} at {@link USER_MMAP_BASE}+ (what QEMU does with its RAM
 * blocks; iommufd's IOAS_MAP takes such a `user_va` and pins the pages behind it — see {@link resolve}).
 * Address 0 and the first pages are never mapped (NULL faults).
 *
 * Kernel counterpart: a process `mm`, `copy_from_user`/`copy_to_user`, `pin_user_pages`.
 */
export class UserMemory {
  private readonly heap: GuestMemory;
  private brk = USER_HEAP_BASE;
  private readonly mappings: Mapping[] = [];
  private nextMmap = USER_MMAP_BASE;

  /** @param heapSize bytes of anonymous heap (a multiple of the page size). */
  constructor(heapSize = 16 << 20) {
    this.heap = new GuestMemory(heapSize);
  }

  /**
   * Allocate `size` bytes of zeroed heap (`malloc` for client buffers; never freed).
   * @throws KernelError ENOMEM when the heap is exhausted, EINVAL for a bad size or alignment.
   */
  alloc(size: number, align = 8): number {
    if (
      !Number.isSafeInteger(size) ||
      size < 0 ||
      !Number.isSafeInteger(align) ||
      align <= 0 ||
      (align & (align - 1)) !== 0
    ) {
      throw new KernelError('EINVAL', `alloc(${size}, align ${align}): bad size or alignment`);
    }
    const va = Math.ceil(this.brk / align) * align;
    if (va + size > USER_HEAP_BASE + this.heap.size) {
      throw new KernelError('ENOMEM', `user heap exhausted: ${size} bytes wanted at ${va.toString(16)}`);
    }
    this.brk = va + size;
    return va;
  }

  /**
   * Map `length` bytes of `memory` starting at `offset` into the process; returns the user VA.
   * Kernel counterpart: `mmap` of a memfd backing guest RAM.
   * @throws KernelError EINVAL if the range is not page-aligned or not inside `memory`.
   */
  mmap(memory: GuestMemory, offset = 0, length = memory.size): number {
    if (
      offset % PAGE_SIZE !== 0 ||
      length % PAGE_SIZE !== 0 ||
      length <= 0 ||
      offset < 0 ||
      offset + length > memory.size
    ) {
      throw new KernelError(
        'EINVAL',
        `mmap of [${offset}, +${length}) does not fit a ${memory.size}-byte memory in pages`,
      );
    }
    const va = this.nextMmap;
    this.mappings.push({ va, length, memory, offset });
    this.nextMmap = Math.ceil((va + length + PAGE_SIZE) / MMAP_ALIGN) * MMAP_ALIGN;
    return va;
  }

  /**
   * The backing memory and offset of `[va, va + length)`, which must lie inside one mapping.
   * Kernel counterpart: `pin_user_pages` (the range must be mapped).
   * @throws KernelError EFAULT otherwise.
   */
  resolve(va: number, length: number): ResolvedUserRange {
    if (Number.isSafeInteger(va) && length >= 0) {
      if (va >= USER_HEAP_BASE && va + length <= USER_HEAP_BASE + this.heap.size) {
        return { memory: this.heap, offset: va - USER_HEAP_BASE };
      }
      for (const m of this.mappings) {
        if (va >= m.va && va + length <= m.va + m.length)
          return { memory: m.memory, offset: m.offset + (va - m.va) };
      }
    }
    throw new KernelError('EFAULT', `user range [0x${Number(va).toString(16)}, +${length}) is not mapped`, {
      va,
      length,
    });
  }

  /** `copy_from_user`: a fresh copy of `length` bytes at `va`. @throws KernelError EFAULT */
  copyFromUser(va: number, length: number): Uint8Array {
    const r = this.resolve(va, length);
    return r.memory.readBytes(r.offset, length);
  }

  /** `copy_from_user` into a caller buffer. @throws KernelError EFAULT */
  read(va: number, dst: Uint8Array): void {
    const r = this.resolve(va, dst.length);
    r.memory.read(r.offset, dst);
  }

  /** `copy_to_user`. @throws KernelError EFAULT (nothing is written then). */
  copyToUser(va: number, src: Uint8Array): void {
    const r = this.resolve(va, src.length);
    r.memory.write(r.offset, src);
  }

  /** `get_user` of a u32. */
  readU32(va: number): number {
    const r = this.resolve(va, 4);
    return r.memory.readU32(r.offset);
  }

  /** `put_user` of a u32. */
  writeU32(va: number, value: number): void {
    const r = this.resolve(va, 4);
    r.memory.writeU32(r.offset, value);
  }

  /** `get_user` of a u64. */
  readU64(va: number): bigint {
    const r = this.resolve(va, 8);
    return r.memory.readU64(r.offset);
  }

  /** `put_user` of a u64. */
  writeU64(va: number, value: bigint): void {
    const r = this.resolve(va, 8);
    r.memory.writeU64(r.offset, value);
  }

  /** Allocate room for a struct, encode `value` there and return its address (a client building an ioctl arg). */
  pushStruct<F extends readonly FieldDecl[]>(layout: StructLayout<F>, value: StructValue<F>): number {
    const bytes = layout.encode(value);
    const va = this.alloc(bytes.length, layout.align);
    this.copyToUser(va, bytes);
    return va;
  }

  /** Decode the struct at `va` (`copy_from_user` of `sizeof`). @throws KernelError EFAULT */
  readStruct<F extends readonly FieldDecl[]>(layout: StructLayout<F>, va: number): StructValue<F> {
    return layout.decode(this.copyFromUser(va, layout.size));
  }
}
