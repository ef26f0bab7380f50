export * from './device-cdev.js';
export * from './device-feature.js';
export * from './device-info.js';
export * from './ioctl.js';
export * from './irq-info.js';
export * from './region-info.js';
export * from './regions.js';
