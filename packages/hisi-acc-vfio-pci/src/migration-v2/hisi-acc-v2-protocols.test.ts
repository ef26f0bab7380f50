import {
  VFIO_DEVICE_STATE_PRE_COPY as PRE_COPY,
  VFIO_DEVICE_STATE_RUNNING as RUNNING,
} from '@vfio-sim/migration-v2';
import { describe, expect, it } from 'vitest';
import {
  expectedDeflate,
  makeHost,
  migrateV1,
  migrateV2,
  migrationPair,
  v1Client,
  ZIP_DEFLATE,
  zipInputs,
} from '../__fixtures__/testbed.js';

describe('both protocols on one device model', () => {
  it('one open device offers the v1 region and v2 mig_ops; a v2 session then a v1 session both work', () => {
    const { src, vm } = migrationPair();
    const fd = src.handle.setMigState(PRE_COPY)!;
    src.handle.setMigState(RUNNING);
    src.process.close(fd);
    const c = v1Client(src);
    c.setState(~0, 3); // v1 pre-copy
    expect(c.savePending()).toBe(32); // the RFC layout's match data
    c.cancel();
    expect(c.deviceState()).toBe(1);
    expect(src.handle.getMigState()).toBe(RUNNING);
    for (const input of zipInputs(51, 2)) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    src.clock.runUntilIdle();
    expect(vm.driver!.completed.length).toBe(2);
  });

  it('a guest migrated with v1 can be migrated on with v2 (and the jobs stay exactly-once)', () => {
    const { clock, src, dst, vm } = migrationPair();
    const inputs = zipInputs(52, 8, 8 << 10);
    for (const input of inputs) vm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    clock.runUntil(clock.now() + 20);
    const hop1 = migrateV1(vm, src, dst);
    const third = makeHost(clock, 'third');
    const more = zipInputs(53, 6, 8 << 10);
    for (const input of more) hop1.dstVm.driver!.submit({ opcode: ZIP_DEFLATE, input });
    clock.runUntil(clock.now() + 20);
    const hop2 = migrateV2(hop1.dstVm, dst, third);
    clock.runUntilIdle();
    const outputs = [
      ...vm.driver!.completed,
      ...hop1.dstVm.driver!.completed,
      ...hop2.dstVm.driver!.completed,
    ].map((r) => r.output);
    expect(outputs.sort(cmp)).toEqual([...inputs, ...more].map(expectedDeflate).sort(cmp));
  });
});

function cmp(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
