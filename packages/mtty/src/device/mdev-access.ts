import { type FilePosition, KernelError, type Task } from '@vfio-sim/platform';
import {
  VFIO_PCI_BAR0_REGION_INDEX,
  VFIO_PCI_BAR5_REGION_INDEX,
  VFIO_PCI_CONFIG_REGION_INDEX,
  VFIO_PCI_OFFSET_TO_INDEX,
  vfioPciOffsetInRegion,
} from '@vfio-sim/vfio-core';
import { handlePciCfgWrite, MTTY_CONFIG_SPACE_SIZE } from './config-space.js';
import type { MttyMdevState } from './mdev-state.js';

/** One access's bytes (the sample's `u32`/`u16`/`u8 val` on the stack): reused, nothing allocated per access. */
const VAL = new Uint8Array(4);
const VAL_BY_SIZE = [VAL.subarray(0, 0), VAL.subarray(0, 1), VAL.subarray(0, 2), VAL, VAL];

function le(bytes: Uint8Array): number {
  let v = 0;
  for (let i = bytes.length - 1; i >= 0; i--) v = v * 256 + bytes[i]!;
  return v;
}

/**
 * `mdev_access()`: one 1/2/4-byte access at device-fd offset `pos` with its bytes in `val`. Config space
 * reads copy `vconfig`, writes go to `handle_pci_cfg_write`; BAR n is port n's UART registers (only the
 * low byte of an access counts, the other bytes of a read are 0). Any other region is EFAULT (the sample
 * returns -1, which its read/write turn into -EFAULT).
 *
 * Differs on purpose: a config access past the 0xff bytes, and a BAR without a port (BAR1 of a one-port
 * device, BAR2–5) are EFAULT — the sample reads past `vconfig` and indexes `s[index]` unchecked.
 */
export function mdevAccess(mdevState: MttyMdevState, val: Uint8Array, pos: number, isWrite: boolean): void {
  const index = VFIO_PCI_OFFSET_TO_INDEX(pos);
  const offset = vfioPciOffsetInRegion(pos);
  const count = val.length;
  if (index === VFIO_PCI_CONFIG_REGION_INDEX) {
    if (offset + count > MTTY_CONFIG_SPACE_SIZE) {
      throw new KernelError(
        'EFAULT',
        `${mdevState.name}: config access at 0x${offset.toString(16)} + ${count}`,
      );
    }
    if (isWrite) handlePciCfgWrite(mdevState.vconfig, mdevState.barMask, mdevState.nrPorts, offset, le(val));
    else val.set(mdevState.vconfig.subarray(offset, offset + count));
    return;
  }
  if (
    index >= VFIO_PCI_BAR0_REGION_INDEX &&
    index <= VFIO_PCI_BAR5_REGION_INDEX &&
    index < mdevState.nrPorts
  ) {
    const port = mdevState.s[index]!;
    if (isWrite) {
      port.write(offset, val[0]!);
    } else {
      val.fill(0);
      val[0] = port.read(offset);
    }
    return;
  }
  throw new KernelError('EFAULT', `${mdevState.name}: no port or config space at region ${index}`);
}

/**
 * `mtty_read()` / `mtty_write()`: split `count` bytes at `pos` into naturally aligned 4/2/1-byte
 * accesses, each through {@link mdevAccess} and copied to/from user memory at `buf`; the position
 * advances per access. A failed access (or a bad user buffer) is EFAULT, with the accesses before it
 * done and counted in the position, as in the sample.
 */
export function mttyRw(
  mdevState: MttyMdevState,
  current: Task,
  buf: number,
  count: number,
  pos: FilePosition,
  isWrite: boolean,
): number {
  let done = 0;
  while (count > 0) {
    const size = count >= 4 && pos.value % 4 === 0 ? 4 : count >= 2 && pos.value % 2 === 0 ? 2 : 1;
    const val = VAL_BY_SIZE[size]!;
    if (isWrite) current.mm.read(buf + done, val);
    mdevAccess(mdevState, val, pos.value, isWrite);
    if (!isWrite) current.mm.copyToUser(buf + done, val);
    count -= size;
    done += size;
    pos.value += size;
  }
  return done;
}
