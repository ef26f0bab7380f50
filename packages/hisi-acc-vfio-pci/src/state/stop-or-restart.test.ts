import { errnoOf, KernelError } from '@vfio-sim/platform';
import { QM_READY } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import type { HisiAccVfCoreDevice } from '../core/hisi-acc-vf-core-device.js';
import { hisiAccVfStopOrRestart } from './stop-or-restart.js';

/** Just what the helper touches: the window and, for the restart, the VF's registers. */
function fakeDevice(restartFails: boolean) {
  const log: string[] = [];
  const hdev = {
    vfQmState: QM_READY,
    paused: true,
    window: { map: () => log.push('map'), unmap: () => log.push('unmap') },
    vfQm: {
      qpNum: 1,
      ver: 0x30,
      dbInterval: 0,
      ioBase: {
        writel: (off: number) => {
          log.push(`writel 0x${off.toString(16)}`);
          if (restartFails) throw new KernelError('EIO', 'register write failed');
        },
        write: () => log.push('doorbell'),
      },
    },
  };
  Object.assign(hdev.vfQm, { dbIoBase: hdev.vfQm.ioBase });
  return { hdev: hdev as unknown as HisiAccVfCoreDevice, log };
}

describe('hisiAccVfStopOrRestart', () => {
  it('maps the window around a successful step and keeps it mapped (the vCPUs stay stopped)', () => {
    const { hdev, log } = fakeDevice(false);
    expect(hisiAccVfStopOrRestart(hdev, () => 7)).toBe(7);
    expect(log).toEqual(['map']);
  });

  it('restarts the VF and unmaps when the step fails, rethrowing the step errno', () => {
    const { hdev, log } = fakeDevice(false);
    const errno = errnoOf(() =>
      hisiAccVfStopOrRestart(hdev, () => {
        throw new KernelError('EBUSY', 'interrupt state');
      }),
    );
    expect(errno).toBe('EBUSY');
    expect(log[0]).toBe('map');
    expect(log).toContain('writel 0x20'); // IFC re-init before the doorbells
    expect(log.at(-1)).toBe('unmap');
    expect(hdev.paused).toBe(false);
  });

  it('reports the step errno even if the restart fails too', () => {
    const { hdev, log } = fakeDevice(true);
    const errno = errnoOf(() =>
      hisiAccVfStopOrRestart(hdev, () => {
        throw new KernelError('ETIMEDOUT', 'cache write-back');
      }),
    );
    expect(errno).toBe('ETIMEDOUT');
    expect(log.at(-1)).toBe('unmap');
    expect(hdev.paused).toBe(true);
  });
});
