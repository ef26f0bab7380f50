import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { errnoOf, Prng } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { QM_SQE_OP_ZIP_DEFLATE, QM_SQE_OP_ZIP_INFLATE, QM_SQE_STATUS_OK } from '../regs/sqe.js';
import { guestOptions, probeGuest, zipHost } from './__fixtures__/zip-host.js';
import { GuestVfDriver } from './guest-vf-driver.js';

function payload(seed: number, n: number): Uint8Array {
  const rng = new Prng(seed);
  const words = ['qm', 'vfio', 'migration', 'hisi', 'zip', 'doorbell', 'mailbox', 'queue'];
  let s = '';
  while (s.length < n) s += `${words[rng.int(0, words.length - 1)]} `;
  return new TextEncoder().encode(s.slice(0, n));
}

describe('GuestVfDriver on a real device', () => {
  it('end to end: PF with 2 VFs, ZIP jobs on VF0 produce what node:zlib produces', () => {
    const { clock, pf, memory, vf } = zipHost({ numVfs: 2 });
    expect(pf.vfs).toHaveLength(2);
    const drv = probeGuest(vf, memory, clock);
    expect(drv.qm.qpNum).toBe(pf.vfRanges[0]?.number);
    expect(drv.qm.qpBase).toBe(pf.vfRanges[0]?.base);
    const inputs = [payload(1, 1000), payload(2, 20000), payload(3, 1)];
    const ids = inputs.map((input) => drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input }));
    clock.runUntilIdle();
    expect(drv.completed.map((r) => r.jobId)).toEqual(ids);
    for (const [i, r] of drv.completed.entries()) {
      expect(r.status).toBe(QM_SQE_STATUS_OK);
      expect(Buffer.from(r.output)).toEqual(deflateRawSync(inputs[i] as Uint8Array));
    }
    const back = drv.submit({ opcode: QM_SQE_OP_ZIP_INFLATE, input: drv.completed[1]?.output as Uint8Array });
    clock.runUntilIdle();
    const last = drv.completed.at(-1);
    expect(last?.jobId).toBe(back);
    expect(Buffer.from(last?.output as Uint8Array)).toEqual(Buffer.from(inputs[1] as Uint8Array));
    expect(drv.inFlight).toBe(0);
  });

  it('many jobs wrap nothing and keep order; onJobDone sees each once', () => {
    const { clock, memory, vf } = zipHost();
    const drv = probeGuest(vf, memory, clock);
    const seen: number[] = [];
    drv.onJobDone((r) => seen.push(r.jobId));
    let submitted = 0;
    for (let round = 0; round < 40; round++) {
      for (let k = 0; k < 8; k++) {
        drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: payload(round * 8 + k, 300) });
        submitted++;
      }
      expect(errnoOf(() => drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: payload(0, 1) }))).toBe(
        'EBUSY',
      );
      clock.runUntilIdle();
    }
    expect(seen).toEqual(Array.from({ length: submitted }, (_, i) => i + 1));
    expect(drv.completed.every((r) => r.status === QM_SQE_STATUS_OK)).toBe(true);
  });

  it('resume() from guest memory continues on the same hardware without touching it', () => {
    const { clock, memory, vf } = zipHost();
    const drv = probeGuest(vf, memory, clock);
    drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: payload(9, 500) });
    clock.runUntilIdle();
    const before = vf.snapshot();
    const exported = drv.exportState();
    const again = GuestVfDriver.resume(guestOptions(vf, memory, clock));
    expect(again.exportState()).toEqual(exported);
    expect(vf.snapshot()).toEqual(before);
    vf.setInterruptHandler((v) => again.handleInterrupt(v));
    const id = again.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: payload(10, 700) });
    clock.runUntilIdle();
    expect(id).toBe(2);
    expect(Buffer.from(again.completed[0]?.output as Uint8Array)).toEqual(deflateRawSync(payload(10, 700)));
    expect(inflateRawSync(again.completed[0]?.output as Uint8Array).length).toBe(700);
  });

  it('resume() with an exported state and without a control block fails cleanly', () => {
    const { clock, memory, vf } = zipHost();
    expect(errnoOf(() => GuestVfDriver.resume(guestOptions(vf, memory, clock)))).toBe('EINVAL');
  });

  it('readQos: VF_GET_QOS to the PF, PF_SET_QOS back through the IFC interrupt', () => {
    const { clock, pf, memory, vf } = zipHost();
    const drv = probeGuest(vf, memory, clock);
    expect(drv.readQos()).toBe(1000);
    expect(pf.ifcReceived).toEqual([{ cmd: 9, data: 0, fun: 1 }]);
    expect(drv.ifcReceived).toEqual([{ cmd: 8, data: 1000 }]);
    clock.runUntilIdle();
    expect(pf.ifcErrors).toEqual([]);
  });
});

describe('GuestVfDriver: rings wrap, isolation, V2', () => {
  it('2600 jobs: the CQ phase flips twice and the EQ phase once; every job completes exactly once', () => {
    const { clock, memory, vf } = zipHost();
    const drv = probeGuest(vf, memory, clock);
    const total = 2600;
    let next = 0;
    while (next < total) {
      for (let k = 0; k < 8 && next < total; k++, next++) {
        drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: Uint8Array.of(next & 0xff, next >> 8) });
      }
      clock.runUntilIdle();
    }
    expect(drv.completed.map((r) => r.jobId)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const st = drv.exportState();
    expect(st.cq_head).toBe(total % 1024);
    expect(st.cqc_phase).toBe(1);
    expect(st.eq_head).toBe(total % 2048);
    expect(st.eqc_phase).toBe(0);
    const r = drv.completed[2599];
    expect(Buffer.from(r?.output as Uint8Array)).toEqual(
      deflateRawSync(Uint8Array.of(2599 & 0xff, 2599 >> 8)),
    );
  });

  it('doorbell isolation: the driver finds QM_QUE_ISO_CFG_V set and rings SQ/CQ doorbells in BAR4', () => {
    const { clock, memory, vf } = zipHost({ dbIsolation: true });
    const drv = probeGuest(vf, memory, clock);
    expect(drv.qm.useDbIsolation).toBe(true);
    expect(drv.qm.dbIoBase).toBe(vf.bar4);
    drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: payload(4, 100) });
    clock.runUntilIdle();
    expect(Buffer.from(drv.completed[0]?.output as Uint8Array)).toEqual(deflateRawSync(payload(4, 100)));
  });

  it('V2: no QM_VF_STATE, no IFC, jobs still run', () => {
    const { clock, memory, vf } = zipHost({ version: 0x21 });
    const drv = GuestVfDriver.probe({ ...guestOptions(vf, memory, clock), ver: 0x21 });
    vf.setInterruptHandler((v) => drv.handleInterrupt(v));
    expect(vf.snapshot().state.regs.vfState).toBe(0);
    drv.submit({ opcode: QM_SQE_OP_ZIP_DEFLATE, input: payload(5, 64) });
    clock.runUntilIdle();
    expect(drv.completed).toHaveLength(1);
    expect(drv.completed[0]?.status).toBe(QM_SQE_STATUS_OK);
  });
});
