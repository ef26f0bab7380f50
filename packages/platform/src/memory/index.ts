export { GuestMemory, type GuestWriteObserver, PAGE_SHIFT, PAGE_SIZE } from './guest-memory.js';
export { type ResolvedUserRange, USER_HEAP_BASE, USER_MMAP_BASE, UserMemory } from './user-memory.js';
