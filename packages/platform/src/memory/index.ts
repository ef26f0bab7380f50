export { GuestMemory, type GuestWriteObserver, PAGE_SHIFT, PAGE_SIZE } from './guest-memory.js';
