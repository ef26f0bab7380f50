import { type GuestMemory, KernelError } from '@vfio-sim/platform';
import type { HisiQm } from './hisi-qm.js';

/**
 * The CPU view of the function's DMA memory, needed to build contexts and read rings.
 * @throws KernelError EINVAL if the qm was created without `memory` (e.g. the vfio driver's vf_qm).
 */
export function requireMemory(qm: HisiQm): GuestMemory {
  if (qm.memory === undefined) {
    throw new KernelError('EINVAL', `${qm.name}: this qm has no DMA memory (mailbox-only use)`);
  }
  return qm.memory;
}
