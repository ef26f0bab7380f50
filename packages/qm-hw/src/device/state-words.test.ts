import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { QM_PAGE_SIZE } from '../regs/registers.js';
import { QM_HW_V2, QM_HW_V3 } from '../regs/versions.js';
import { layout, makeDevice, ringSq, startFunction } from './__fixtures__/qm-setup.js';
import { bytesToHex } from './bytes-hex.js';
import type { QmFunction } from './qm-function.js';
import { QM_STATE_HEADER_WORDS, QM_STATE_QUEUE_WORDS, QmStateWords } from './state-words.js';

const VF0 = 0x100_0000;

/** What the words stand for: the snapshot's `state` and the pause. */
const snapshotState = (fn: QmFunction) => {
  const s = fn.snapshot();
  return JSON.stringify({ state: s.state, paused: s.transient.paused });
};

describe('QmStateWords', () => {
  it('reads a function twice alike, names the word a change is in, and creates no queue', () => {
    const { dev, vfs } = makeDevice('zip', 2, 4);
    const vf = vfs[0]!;
    const a = new QmStateWords().read(vf);
    const b = new QmStateWords().read(vf);
    expect(a.length).toBe(QM_STATE_HEADER_WORDS); // no queue has a context yet
    expect(b.diff(a)).toBeUndefined();
    expect(a.equals(b)).toBe(true);
    for (let abs = 0; abs < dev.maxQpNum; abs++) expect(dev.existingQueue(abs)).toBeUndefined();
    vf.bar2.writel(QM_PAGE_SIZE, 0x10);
    expect(b.read(vf).diff(a)).toBe('regs pageSize: 0x0 → 0x10');
    expect(a.equals(b)).toBe(false);
  });

  it('covers the on-chip queue contexts: a doorbell that moves a tail is a difference in that queue', () => {
    const { clock, mem, vfs } = makeDevice('zip', 2, 4);
    const vf = vfs[0]!;
    startFunction(clock, mem, vf, VF0, 2);
    // contexts of queues 2 and 3 in the base tables (as a write-back leaves them): read from there
    const table = (at: number) =>
      mem.write(
        at,
        new Uint8Array(64).map((_, b) => (b * 7 + at) & 0xff),
      );
    table(layout(VF0).sqcBt + 2 * 32);
    table(layout(VF0).cqcBt + 2 * 32);
    const before = new QmStateWords().read(vf);
    ringSq(vf.bar2, 1, 0); // the tail it has: nothing moves
    clock.runUntilIdle();
    const after = new QmStateWords().read(vf);
    expect(after.diff(before)).toBeUndefined();
    vf.paused = true; // no fetch: the tail stays where the doorbell put it
    ringSq(vf.bar2, 1, 3);
    expect(after.read(vf).diff(before)).toBe('paused: 0x0 → 0x1');
    vf.paused = false;
    expect(after.read(vf).diff(before)).toBe('queue 1 sqc[0]: 0x0 → 0x30000');
    // started: with base tables every queue has contexts (on chip or in the tables): all four listed
    expect(after.length).toBe(QM_STATE_HEADER_WORDS + 4 * QM_STATE_QUEUE_WORDS);
    expect(after.wordName(QM_STATE_HEADER_WORDS + QM_STATE_QUEUE_WORDS + 17)).toBe('queue 1 cqc[7]');
    expect(after.wordName(QM_STATE_HEADER_WORDS + QM_STATE_QUEUE_WORDS)).toBe('queue list[1] qn');
    // each listed queue's contexts are the snapshot's raw ones (queues 2 and 3 from the base tables)
    const raw = (at: number) => bytesToHex(new Uint8Array(after.words.slice(at, at + 8).buffer));
    vf.snapshot().state.queues.forEach((q, k) => {
      const entry = QM_STATE_HEADER_WORDS + k * QM_STATE_QUEUE_WORDS;
      expect([after.words[entry], raw(entry + 2), raw(entry + 10)]).toEqual([q.qn, q.sqcRaw, q.cqcRaw]);
    });
    expect(vf.snapshot().transient.onChipQueues).toEqual([0, 1]);
  });

  it('without base tables lists the queues on chip, in a range whose queues were used; a range never used reads no queue', () => {
    const { clock, mem, vfs } = makeDevice('zip', 2, 4);
    const [vf0, vf1] = [vfs[0]!, vfs[1]!];
    startFunction(clock, mem, vf0, VF0, 2);
    vf0.sqcBt = 0; // the base tables forgotten: only the on-chip contexts of queues 0 and 1 are left
    const words = new QmStateWords().read(vf0);
    expect(words.length).toBe(QM_STATE_HEADER_WORDS + 2 * QM_STATE_QUEUE_WORDS);
    expect(
      vf0
        .snapshot()
        .state.queues.filter((q) => q.sqc !== null || q.cqc !== null)
        .map((q) => q.qn),
    ).toEqual([0, 1]);
    expect(new QmStateWords().read(vf1).length).toBe(QM_STATE_HEADER_WORDS);
    expect(vf1.snapshot().state.queues.every((q) => q.sqc === null && q.cqc === null)).toBe(true);
  });

  test.prop(
    [
      fc.constantFrom(QM_HW_V2, QM_HW_V3), // V1 has no VFs
      fc.uint8Array({ minLength: 4 * 64, maxLength: 4 * 64 }),
      fc.integer({ min: 0, max: 4 }),
    ],
    { numRuns: 80 },
  )(
    'a queue read from the base tables is the snapshot’s: any bytes, a head or tail past the depth wrapped',
    (version, tables, onChip) => {
      const { clock, mem, vfs } = makeDevice('zip', 2, 4, { version });
      const vf = vfs[0]!;
      startFunction(clock, mem, vf, VF0, onChip);
      // every queue's SQC and CQC in the base tables: the ones not on chip are read from there
      for (let qn = 0; qn < 4; qn++) {
        mem.write(layout(VF0).sqcBt + qn * 32, tables.subarray(qn * 64, qn * 64 + 32));
        mem.write(layout(VF0).cqcBt + qn * 32, tables.subarray(qn * 64 + 32, qn * 64 + 64));
      }
      const words = new QmStateWords().read(vf);
      const queues = vf.snapshot().state.queues;
      expect(words.length).toBe(QM_STATE_HEADER_WORDS + queues.length * QM_STATE_QUEUE_WORDS);
      const raw = (at: number) => bytesToHex(new Uint8Array(words.words.slice(at, at + 8).buffer));
      queues.forEach((q, k) => {
        const entry = QM_STATE_HEADER_WORDS + k * QM_STATE_QUEUE_WORDS;
        const flags = (q.stopped ? 1 : 0) | (q.sqc !== null ? 2 : 0) | (q.cqc !== null ? 4 : 0);
        expect([words.words[entry], words.words[entry + 1], raw(entry + 2), raw(entry + 10)]).toEqual([
          q.qn,
          flags,
          q.sqcRaw,
          q.cqcRaw,
        ]);
      });
    },
  );

  test.prop(
    [
      fc.array(
        fc.record({
          offset: fc.constantFrom(0x4, 0xc, 0x20, 0x24, 0x30, 0x34, 0x60, 0x204, 0x1000, 0x8000, 0x8020),
          value: fc.integer({ min: 0, max: 0xffff_ffff }),
          qn: fc.integer({ min: 0, max: 5 }),
          advance: fc.integer({ min: 0, max: 300 }),
        }),
        { maxLength: 30 },
      ),
    ],
    { numRuns: 60 },
  )('a change of the snapshot’s state is a change of the words, and no other', (ops) => {
    const { clock, mem, vfs } = makeDevice('zip', 2, 4);
    const vf = vfs[0]!;
    startFunction(clock, mem, vf, VF0, 2);
    const prev = new QmStateWords().read(vf);
    const next = new QmStateWords();
    let prevState = snapshotState(vf);
    for (const op of ops) {
      if (op.offset === 0x1000) ringSq(vf.bar2, op.qn, op.value & 0xf);
      else vf.bar2.writel(op.offset, op.value);
      clock.udelay(op.advance);
      const state = snapshotState(vf);
      expect(next.read(vf).equals(prev)).toBe(state === prevState);
      prev.read(vf);
      prevState = state;
    }
  });
});
