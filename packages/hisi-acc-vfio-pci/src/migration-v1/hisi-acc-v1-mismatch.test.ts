import { QemuFileReader, QemuFileWriter } from '@vfio-sim/migration-v1';
import { errnoOf, VirtualClock } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import {
  expectedDeflate,
  type HostOptions,
  makeHost,
  migrationPair,
  v1Client,
  ZIP_DEFLATE,
  zipInputs,
} from '../__fixtures__/testbed.js';

/** Save on the source up to the end of stop-and-copy; returns the sections. */
function saveAll(src: ReturnType<typeof migrationPair>['src'], stop: () => void): Uint8Array[] {
  const s = v1Client(src);
  const out: Uint8Array[] = [];
  const w1 = new QemuFileWriter();
  s.saveSetup(w1);
  out.push(w1.toBytes());
  s.savePending();
  const w2 = new QemuFileWriter();
  s.saveIterate(w2);
  out.push(w2.toBytes());
  stop();
  s.vmStop();
  const w3 = new QemuFileWriter();
  s.saveComplete(w3);
  out.push(w3.toBytes());
  return out;
}

describe.each<[string, HostOptions]>([
  ['a SEC stream into a ZIP VF', { kind: 'sec' }],
  ['a different queue count', { qpPerVf: 8 }],
  ['a different queue isolation configuration', { queIso: 1 }],
])('resume refuses %s', (_what, dstOptions) => {
  it('EINVAL on the destination, nothing restored; the source resumes and keeps running', () => {
    const clock = new VirtualClock();
    const { src, vm } = migrationPair();
    const dst = makeHost(src.clock, 'dst2', dstOptions);
    void clock;
    const inputs = zipInputs(11, 6);
    for (const input of inputs) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    const sections = saveAll(src, () => vm.stop());
    const before = dst.vfHw.snapshot().state;

    const d = v1Client(dst);
    d.loadSetup();
    const errno = errnoOf(() => {
      for (const bytes of sections) d.loadState(new QemuFileReader(bytes));
    });
    expect(errno).toBe('EINVAL');
    expect(d.deviceState()).toBe(4); // still RESUMING: the failed write changed nothing
    expect(dst.vfHw.snapshot().state).toEqual(before);
    // vm start on a destination with nothing loaded restores nothing either.
    d.vmStart();
    expect(dst.vfHw.snapshot().state).toEqual(before);

    // QEMU's failure path on the source: back to RUNNING, the guest runs on.
    v1Client(src).cancel();
    vm.start();
    src.clock.runUntilIdle();
    const more = zipInputs(12, 3);
    for (const input of more) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    src.clock.runUntilIdle();
    expect(vm.driver!.completed.map((r) => r.output)).toEqual([...inputs, ...more].map(expectedDeflate));
  });
});

describe('a compatible resume restores the VF byte for byte', () => {
  it('RESUMING → STOP restores the registers, contexts and base tables of the source', () => {
    const { src, dst, vm } = migrationPair();
    for (const input of zipInputs(5, 4)) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    src.clock.runUntilIdle();
    const sections = saveAll(src, () => vm.stop());
    const d = v1Client(dst);
    d.loadSetup();
    for (const bytes of sections) d.loadState(new QemuFileReader(bytes));
    d.setState(0, 0); // RESUMING → STOP: restore, do not start
    const s = src.vfHw.snapshot().state;
    const t = dst.vfHw.snapshot().state;
    expect({ ...t, queues: undefined }).toEqual({ ...s, queues: undefined });
  });
});
