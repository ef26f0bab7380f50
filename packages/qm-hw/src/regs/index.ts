export * from './contexts.js';
export * from './doorbell.js';
export * from './hw-error.js';
export * from './mailbox.js';
export * from './registers.js';
export * from './sqe.js';
export * from './versions.js';
export * from './vft.js';
