/**
 * @packageDocumentation
 * VFIO migration protocol v1 (the region protocol, v5.8–v5.17): the device-side migration region a
 * variant driver plugs into, and QEMU's v1 client sequences.
 */
export * from './client/index.js';
export * from './device/index.js';
export * from './uapi/index.js';
