export { ERRNO, type ErrnoName, errnoName, isErrnoName } from './errno.js';
export {
  type ErrorContext,
  errnoOf,
  isKernelError,
  KernelError,
  toErrno,
  withoutKernelErrorStacks,
} from './kernel-error.js';
