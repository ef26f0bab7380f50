export {
  anonInodeGetFile,
  type FileOperations,
  type FilePosition,
  FMODE_LSEEK,
  FMODE_PREAD,
  FMODE_PWRITE,
  FMODE_READ,
  FMODE_STREAM,
  FMODE_WRITE,
  KernelFile,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
  type Task,
  type VmArea,
} from './kernel-file.js';
export { Process } from './process.js';
