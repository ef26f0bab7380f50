import {
  VFIO_DEVICE_STATE_RESUMING as RESUMING,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
  VFIO_DEVICE_STATE_STOP as STOP,
  VFIO_DEVICE_STATE_STOP_COPY as STOP_COPY,
} from '@vfio-sim/migration-v2';
import { VirtualClock } from '@vfio-sim/platform';
import { QM_NOT_READY, QM_READY } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import { makeHost } from '../__fixtures__/testbed.js';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import { hisiAccVfStartDevice } from './start-device.js';

/** Just what the restart touches: the state, and a VF whose register writes are logged. */
function fakeDevice(vfQmState: number, paused: boolean, baseTablesLoaded: boolean, qpNum: number) {
  const log: string[] = [];
  const io = {
    writel: (off: number) => log.push(`writel 0x${off.toString(16)}`),
    write: (off: number) => log.push(`doorbell 0x${off.toString(16)}`),
  };
  const vfQm = { qpNum, ver: 0x30, dbInterval: 0x10000, ioBase: io, dbIoBase: io };
  const hdev = { vfQmState, paused, baseTablesLoaded, vfQm };
  return { hdev: hdev as unknown as HisiAccVfCoreDevice, log };
}

describe('hisiAccVfStartDevice', () => {
  it('after a restore of a running guest (destination): IFC re-init, a restart doorbell on every queue', () => {
    const { hdev, log } = fakeDevice(QM_READY, false, true, 3);
    hisiAccVfStartDevice(hdev);
    expect(log).toEqual([
      'writel 0x20', // QM_IFC_INT_SOURCE_V
      'writel 0x24', // QM_IFC_INT_MASK
      'doorbell 0x1000',
      'doorbell 0x11000',
      'doorbell 0x21000',
    ]);
    expect(hdev.baseTablesLoaded).toBe(false);
  });

  it('a paused source (defect J): one doorbell leaves PAUSE_QM, the on-chip contexts resume', () => {
    // The source's qp_num need not be known (upstream never sets it on a source): queue 0 is enough.
    for (const [state, qpNum] of [
      [QM_READY, 960],
      [QM_NOT_READY, 0],
    ]) {
      const { hdev, log } = fakeDevice(state!, true, false, qpNum!);
      hisiAccVfStartDevice(hdev);
      expect(log).toEqual(['writel 0x20', 'writel 0x24', 'doorbell 0x1000']);
      expect(hdev.paused).toBe(false);
    }
  });

  it('guest driver never started and nothing paused: returns early, no register written (as the kernel)', () => {
    const { hdev, log } = fakeDevice(QM_NOT_READY, false, false, 960);
    hisiAccVfStartDevice(hdev);
    expect(log).toEqual([]);
  });

  it('a lone VF without a guest driver (960 queues): a uAPI migration leaves it running, not paused, with no queue touched', () => {
    const h = makeHost(new VirtualClock(), 'one', { numVfs: 1 });
    expect(h.device.vft.qpNum(1)).toBe(960);
    const buf = h.process.mm.alloc(256, 8);
    const fd = h.handle.setMigState(STOP_COPY)!;
    expect(h.vfHw.paused).toBe(true);
    const n = h.process.read(fd, buf, 256);
    h.process.close(fd);
    h.handle.setMigState(STOP);
    const rfd = h.handle.setMigState(RESUMING)!;
    expect(h.process.write(rfd, buf, n)).toBe(n);
    h.process.close(rfd);
    h.handle.setMigState(RUNNING);
    expect(h.vfHw.paused).toBe(false);
    expect(h.hdev.paused).toBe(false);
    expect(h.vfHw.cachedQueues()).toEqual([]);
  });
});
