import { KernelError } from '../errno/kernel-error.js';
import type { FieldDecl, StructLayout, StructValue } from '../struct/struct-layout.js';
import { GuestMemory, PAGE_SIZE } from './guest-memory.js';
import { RangeAllocator } from './range-allocator.js';

/** Base of the anonymous heap in a {@link UserMemory} (the NULL page and everything below stay unmapped). */
export const USER_HEAP_BASE = 0x1000_0000;
/** Base of the area where guest RAM is mapped into the process (QEMU's RAM blocks live up here). */
export const USER_MMAP_BASE = 0x7f00_0000_0000;
/**
 * End of the process's address space: 48-bit user VAs (arm64's 48-bit VA; x86_64's 4-level paging gives
 * 47), so a 1 TiB guest fits above {@link USER_MMAP_BASE} with room to spare.
 */
export const USER_VA_END = 2 ** 48;
const MMAP_ALIGN = 2 << 20;
/** Heap blocks are multiples of this (malloc's granule on LP64; every ioctl struct is 8-aligned at most). */
const HEAP_GRANULE = 8;

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

/** How much of a {@link UserMemory}'s heap is in use (`mallinfo`). */
export interface UserHeapStats {
  /** Bytes in live heap blocks (`uordblks`). */
  readonly used: number;
  /** Live heap blocks. */
  readonly blocks: number;
  /** Free bytes (`fordblks`) and the largest free block. */
  readonly free: number;
  readonly largestFree: number;
  /** Heap pages holding data (the heap's share of RSS). */
  readonly residentBytes: number;
  /** Live guest-RAM mappings ({@link UserMemory.mmap}). */
  readonly mappings: number;
}

/**
 * A userspace process's virtual address space — the VMM's — so ioctl arguments carry real user pointers.
 *
 * The kernel never trusts a user pointer: `copy_from_user` / `copy_to_user` fault with EFAULT on an
 * address that is not mapped. The model keeps that: structs are passed by address, embedded pointers
 * (a DMA-logging range array, a dirty bitmap) are addresses too, and a bad one fails with EFAULT.
 *
 * Two kinds of mappings: an anonymous heap at {@link USER_HEAP_BASE} with `malloc`/`free`
 * ({@link alloc}/{@link free}: first fit, freed blocks coalesce, their pages go back), and guest RAM
 * mapped with {@link mmap} at {@link USER_MMAP_BASE}+ (what QEMU does with its RAM blocks; iommufd's
 * IOAS_MAP takes such a `user_va` and pins the pages behind it — see {@link resolve}), given back with
 * {@link munmap}. Address 0 and the first pages are never mapped (NULL faults).
 *
 * Kernel counterpart: a process `mm`, `copy_from_user`/`copy_to_user`, `pin_user_pages`; libc's
 * `malloc`/`free` for the heap.
 */
export class UserMemory {
  private readonly heap: GuestMemory;
  private readonly heapBlocks: RangeAllocator;
  private readonly mappings: Mapping[] = [];
  private readonly mmapArea = new RangeAllocator(USER_MMAP_BASE, USER_VA_END - USER_MMAP_BASE, PAGE_SIZE);

  /** @param heapSize bytes of anonymous heap (a multiple of the page size). */
  constructor(heapSize = 16 << 20) {
    this.heap = new GuestMemory(heapSize);
    this.heapBlocks = new RangeAllocator(USER_HEAP_BASE, heapSize, HEAP_GRANULE);
  }

  /**
   * `malloc`: `size` bytes of zeroed heap aligned to `align` (a power of two), until {@link free}.
   * @throws KernelError ENOMEM when no free block is large enough, EINVAL for a bad size or alignment
   * (nothing changes either way).
   */
  alloc(size: number, align = 8): number {
    return this.heapBlocks.alloc(size, align);
  }

  /**
   * `free`: give back the heap block `va` (as returned by {@link alloc}); its bytes read as zero again
   * and its whole pages stop being resident. `free(0)` does nothing, as in C.
   * @throws KernelError EINVAL for a pointer that is not a live block (a bad or double free; nothing
   * changes).
   */
  free(va: number): void {
    if (va === 0) return;
    const length = this.heapBlocks.free(va);
    this.heap.discard(va - USER_HEAP_BASE, length);
    // Whole pages of the free range the block merged into go back too (glibc trims and madvises them).
    const [start, end] = this.heapBlocks.freeRangeContaining(va)!;
    const first = Math.ceil((start - USER_HEAP_BASE) / PAGE_SIZE) * PAGE_SIZE;
    const last = Math.floor((end - USER_HEAP_BASE) / PAGE_SIZE) * PAGE_SIZE;
    if (last > first) this.heap.discard(first, last - first);
  }

  /** The heap's counters (what `mallinfo2` and the heap's RSS would say). */
  heapStats(): UserHeapStats {
    const s = this.heapBlocks.stats();
    return {
      used: s.used,
      blocks: s.blocks,
      free: s.free,
      largestFree: s.largestFree,
      residentBytes: this.heap.touchedBytes(),
      mappings: this.mappings.length,
    };
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
    // 2 MiB aligned (so huge IOMMU leaves can map it), one unmapped guard page after it.
    const va = this.mmapArea.alloc(length + PAGE_SIZE, MMAP_ALIGN);
    this.mappings.push({ va, length, memory, offset });
    return va;
  }

  /**
   * `munmap` of a whole mapping made by {@link mmap} (the backing memory is not touched; its address
   * range may be handed out again). Kernel counterpart: `munmap` of a VMA.
   * @throws KernelError EINVAL if `va` does not start a mapping or `length` is not its length (nothing
   * changes).
   */
  munmap(va: number, length: number): void {
    const i = this.mappings.findIndex((m) => m.va === va);
    const m = this.mappings[i];
    if (m === undefined || m.length !== length) {
      throw new KernelError('EINVAL', `munmap(0x${Number(va).toString(16)}, ${length}): not a whole mapping`);
    }
    this.mappings.splice(i, 1);
    this.mmapArea.free(va);
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

  /**
   * Allocate room for a struct, encode `value` there and return its address (a client building an ioctl
   * arg); the caller frees it.
   */
  pushStruct<F extends readonly FieldDecl[]>(layout: StructLayout<F>, value: StructValue<F>): number {
    const va = this.alloc(layout.size, layout.align);
    try {
      this.writeStruct(layout, va, value);
    } catch (e) {
      this.free(va);
      throw e;
    }
    return va;
  }

  /** Decode the struct at `va` (`copy_from_user` of `sizeof`). @throws KernelError EFAULT */
  readStruct<F extends readonly FieldDecl[]>(layout: StructLayout<F>, va: number): StructValue<F> {
    const r = this.resolve(va, layout.size);
    return r.memory.readStruct(layout, r.offset);
  }

  /**
   * Encode `value` at `va` (`copy_to_user` of a struct). @throws KernelError EFAULT (nothing written),
   * or the layout's ERANGE/EINVAL for a bad value.
   */
  writeStruct<F extends readonly FieldDecl[]>(
    layout: StructLayout<F>,
    va: number,
    value: StructValue<F>,
  ): void {
    const r = this.resolve(va, layout.size);
    r.memory.writeStruct(layout, r.offset, value);
  }
}
