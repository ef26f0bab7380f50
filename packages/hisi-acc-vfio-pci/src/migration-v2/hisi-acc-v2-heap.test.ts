import { QemuV2Client, VFIO_DEVICE_STATE_RUNNING as RUNNING } from '@vfio-sim/migration-v2';
import { QemuFileReader, QemuFileWriter, type VfioDeviceHandle } from '@vfio-sim/vfio-core';
import { describe, expect, it } from 'vitest';
import { twoVfsOneProcess } from '../__fixtures__/testbed.js';

/** One QEMU v2 migration (PRE_COPY, switchover-ack) between two VFs; the source is restarted after it. */
function migrate(from: VfioDeviceHandle, to: VfioDeviceHandle): number {
  const s = new QemuV2Client(from, { switchoverAck: true });
  const d = new QemuV2Client(to, { switchoverAck: true });
  let loaded = 0;
  d.loadSetup();
  const section = (fn: (w: QemuFileWriter) => void) => {
    const w = new QemuFileWriter();
    fn(w);
    loaded += d.loadState(new QemuFileReader(w.toBytes()));
  };
  section((w) => s.saveSetup(w));
  let done = false;
  while (s.isActiveIterate() && !done) section((w) => (done = s.saveIterate(w)));
  s.vmStateChange(false, 'finish-migrate');
  section((w) => s.saveComplete(w));
  section((w) => s.saveState(w));
  s.saveCleanup();
  d.loadCleanup();
  d.vmStateChange(true);
  s.vmStateChange(true);
  s.close();
  d.close();
  return loaded;
}

describe('v2 clients give back what they take', () => {
  it('1,000 QEMU v2 migrations between two hisi VFs of one process: heap and fd table return to their start', () => {
    const h = twoVfsOneProcess();
    const usage = () => ({ heap: h.process.mm.heapStats(), fds: h.process.openFds() });
    // The first round in each direction touches the device handles' scratch pages for good.
    migrate(h.handle, h.handle2);
    migrate(h.handle2, h.handle);
    const start = usage();
    for (let i = 0; i < 1000; i++) {
      const [from, to] = i % 2 === 0 ? [h.handle, h.handle2] : [h.handle2, h.handle];
      expect(migrate(from, to)).toBe(176); // acc_vf_data: 40 bytes in pre-copy, 136 at stop-copy
    }
    expect(usage()).toEqual(start);
    expect(h.handle.getMigState()).toBe(RUNNING);
    expect(h.handle2.getMigState()).toBe(RUNNING);
  });
});
