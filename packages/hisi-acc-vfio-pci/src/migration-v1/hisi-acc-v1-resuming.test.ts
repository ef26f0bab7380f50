import { VFIO_DEVICE_STATE_MASK } from '@vfio-sim/migration-v1';
import { QM_SQE_STATUS_OK } from '@vfio-sim/qm-hw';
import { describe, expect, it } from 'vitest';
import {
  expectFailedStopLeavesSourceRunning,
  FAULTS_AT_STOP,
  submitZipJobs,
} from '../__fixtures__/migration-checks.js';
import { expectedDeflate, migrationPair, v1Client, ZIP_DEFLATE, zipInputs } from '../__fixtures__/testbed.js';

const RUNNING = 1;
const RESUMING = 4;

/*
 * include/uapi/linux/vfio.h (v1, v5.8–v5.17), `device_state`:
 *   "100b => Device stopped and the device state is resuming"
 * The merged driver reaches RESUMING through STOP (vfio_mig_get_next_state), whose arc pauses the QM
 * (hisi_acc_vf_stop_device); the v1 region enters it straight from RUNNING, so the arc stops the VF itself.
 */
describe('v1: RESUMING is a stopped device', () => {
  it('a job submitted before RESUMING does not complete until RUNNING; then every job completes once', () => {
    const { clock, src, vm, srcDev } = migrationPair();
    const inputs = zipInputs(71, 24, 16 << 10);
    const ids = inputs.map((input) => vm.driver!.submit({ opcode: ZIP_DEFLATE, input }));
    clock.runUntil(clock.now() + 30); // part of the work is done
    const s = v1Client(src);
    s.setState(~VFIO_DEVICE_STATE_MASK, RESUMING); // 001b → 100b, the guest's vCPUs keep running
    expect(s.deviceState()).toBe(RESUMING);
    expect(src.vfHw.paused).toBe(true);
    clock.runUntilIdle(); // jobs already in the engine drain (PAUSE_QM); nothing new is fetched
    const whileResuming = vm.driver!.completed.length;
    expect(whileResuming).toBeLessThan(inputs.length);
    clock.runUntil(clock.now() + 1_000_000);
    expect(vm.driver!.completed.length).toBe(whileResuming);

    s.setState(~VFIO_DEVICE_STATE_MASK, RUNNING); // 100b → 001b with nothing loaded: restart
    expect(s.deviceState()).toBe(RUNNING);
    clock.runUntilIdle();
    expect(src.vfHw.paused).toBe(false);
    expect(srcDev.paused).toBe(false);
    expect(srcDev.window.isMapped).toBe(false);
    const done = vm.driver!.completed;
    expect(done.map((r) => r.jobId)).toEqual(ids);
    for (const r of done) {
      expect(r.status).toBe(QM_SQE_STATUS_OK);
      expect(r.output).toEqual(expectedDeflate(inputs[ids.indexOf(r.jobId)]!));
    }
  });

  it.each(FAULTS_AT_STOP)(
    'a failed stop on the way (%s): the errno, still RUNNING, the VF runs again',
    (...faultAtStop) => {
      const pair = migrationPair();
      const inputs = submitZipJobs(pair.vm, 72, 4);
      const s = v1Client(pair.src);
      expectFailedStopLeavesSourceRunning(
        pair,
        faultAtStop,
        {
          stop: () => s.setState(~VFIO_DEVICE_STATE_MASK, RESUMING),
          unchanged: () => expect(s.deviceState()).toBe(RUNNING),
          backOut: () => {}, // the device never left RUNNING
        },
        inputs,
        73,
      );
    },
  );
});
