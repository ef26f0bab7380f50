/**
 * @packageDocumentation
 * The kernel primitives every vfio-sim layer shares: errno and the one error type, virtual time,
 * tracing, guest memory, the DMA and MMIO port interfaces, C struct layouts and a seeded PRNG.
 */
export * from './errno/index.js';
export * from './fs/index.js';
export * from './io/index.js';
export * from './memory/index.js';
export * from './random/index.js';
export * from './struct/index.js';
export * from './time/index.js';
export * from './trace/index.js';
