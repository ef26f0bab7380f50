import { QemuFileReader, QemuFileWriter, type VfioDeviceHandle } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { twoVfsOneProcess, v1Client } from '../__fixtures__/testbed.js';

type Bed = ReturnType<typeof twoVfsOneProcess>;

/** One QEMU v1 migration between two VFs of `bed`'s process; the source is restarted after it. */
function migrate(bed: Bed, from: VfioDeviceHandle, to: VfioDeviceHandle): number {
  const s = v1Client({ process: bed.process, handle: from });
  const d = v1Client({ process: bed.process, handle: to });
  const out = new QemuFileWriter();
  s.saveSetup(out);
  s.savePending();
  s.saveIterate(out);
  s.vmStop();
  s.saveComplete(out);
  d.loadSetup();
  const input = new QemuFileReader(out.toBytes());
  let loaded = 0;
  while (input.remaining > 0) loaded += d.loadState(input);
  d.vmStart();
  s.vmStart();
  s.close();
  d.close();
  return loaded;
}

describe('v1 clients give back what they take', () => {
  it('1,000 QEMU v1 migrations between two hisi VFs of one process: heap and fd table return to their start', () => {
    const bed = twoVfsOneProcess();
    const usage = () => ({ heap: bed.process.mm.heapStats(), fds: bed.process.openFds() });
    migrate(bed, bed.handle, bed.handle2);
    migrate(bed, bed.handle2, bed.handle);
    const start = usage();
    for (let i = 0; i < 1000; i++) {
      const [from, to] = i % 2 === 0 ? [bed.handle, bed.handle2] : [bed.handle2, bed.handle];
      expect(migrate(bed, from, to)).toBe(32 + 168); // match data in pre-copy, then the whole acc_vf_data
    }
    expect(usage()).toEqual(start);
  });
});
