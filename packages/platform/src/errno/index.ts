export { ERRNO, type ErrnoName, errnoName, isErrnoName } from './errno.js';
export { type ErrorContext, errnoOf, isKernelError, KernelError, toErrno } from './kernel-error.js';
