export { GuestMemory, type GuestWriteObserver, PAGE_SHIFT, PAGE_SIZE } from './guest-memory.js';
export { RangeAllocator, type RangeAllocatorStats } from './range-allocator.js';
export {
  type ResolvedUserRange,
  USER_HEAP_BASE,
  USER_MMAP_BASE,
  USER_VA_END,
  type UserHeapStats,
  UserMemory,
} from './user-memory.js';
