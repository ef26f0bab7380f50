export * from './config-space.js';
export * from './iov.js';
export * from './pci-dev.js';
export type { PciDriver, PciErrorHandlers } from './pci-driver.js';
export { PciHost, type PciHostOptions } from './pci-host.js';
export * from './pci-ids.js';
