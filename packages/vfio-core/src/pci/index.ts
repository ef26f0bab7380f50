export { BlockedDmaPort } from './blocked-dma-port.js';
export * from './config-space.js';
export * from './iov.js';
export * from './pci-dev.js';
export { PciHost, type PciHostOptions } from './pci-host.js';
export * from './pci-ids.js';
