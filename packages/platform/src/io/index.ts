export { type DmaPort, IdentityDmaPort } from './dma-port.js';
export { isMmioWidth, type MmioRegion, type MmioWidth, readq, writeq } from './mmio.js';
