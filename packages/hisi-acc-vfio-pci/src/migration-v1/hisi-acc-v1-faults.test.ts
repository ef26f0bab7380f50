import { errnoOf } from '@vfio-sim/platform';
import type { QmFault } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import { expectedDeflate, migrationPair, v1Client, ZIP_DEFLATE, zipInputs } from '../__fixtures__/testbed.js';

type Target = 'vf' | 'pf';
const FAULTS: readonly [step: string, target: Target, fault: QmFault, errnos: readonly string[]][] = [
  ['PAUSE_QM: mailbox stuck busy', 'vf', { kind: 'mb-stuck-busy' }, ['EBUSY', 'ETIMEDOUT']],
  ['PAUSE_QM: mailbox error status', 'vf', { kind: 'mb-error' }, ['EIO']],
  ['interrupt check: RAS pending on the PF', 'pf', { kind: 'ras-pending' }, ['EBUSY']],
  ['interrupt check: IFC pending on the VF', 'vf', { kind: 'ifc-pending' }, ['EBUSY']],
  ['interrupt check: engine busy', 'vf', { kind: 'engine-busy' }, ['EBUSY']],
  ['cache write-back never completes', 'vf', { kind: 'cache-wb-stuck' }, ['ETIMEDOUT']],
];

describe.each(FAULTS)('a fault at the stop: %s', (_step, target, fault, errnos) => {
  it('the state write fails with the kernel errno and the source resumes with working queues', () => {
    const { src, vm, srcDev } = migrationPair();
    const inputs = zipInputs(21, 5);
    for (const input of inputs) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    const s = v1Client(src);
    s.setState(~0, 3); // pre-copy
    const fn = target === 'vf' ? src.vfHw : src.device.pf;
    fn.faults.inject(fault);
    vm.stop();
    const errno = errnoOf(() => s.vmStop());
    expect(errnos).toContain(errno);
    expect(s.deviceState()).toBe(3); // the failed arc left the previous state
    expect(srcDev.window.isMapped).toBe(false);
    expect(srcDev.paused).toBe(false);
    fn.faults.clear(fault.kind);
    s.cancel();
    vm.start();
    src.clock.runUntilIdle();
    expect(src.vfHw.paused).toBe(false);
    const more = zipInputs(22, 2);
    for (const input of more) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    src.clock.runUntilIdle();
    expect(vm.driver!.completed.map((r) => r.output)).toEqual([...inputs, ...more].map(expectedDeflate));
  });
});

describe('a guest driver that never started', () => {
  it('stop-and-copy sends the 32-byte match data only', () => {
    const { src, vm } = migrationPair();
    src.vfHw.faults.inject({ kind: 'vf-not-ready' });
    const s = v1Client(src);
    s.setState(~0, 3);
    expect(s.savePending()).toBe(32);
    vm.stop();
    s.vmStop();
    expect(s.savePending()).toBe(32);
  });
});
