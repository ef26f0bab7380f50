import { describe, expect, it } from 'vitest';
import { makeDevice, startFunction } from './__fixtures__/qm-setup.js';
import { QmQueue } from './qm-queue.js';

describe('QmFunction.snapshot: queues without contexts', () => {
  it('a VF without base tables reports each queue as a blank queue does; once started, from its base tables', () => {
    const r = makeDevice('zip', 1, 4);
    const vf = r.vfs[0]!;
    const blank = (qn: number) => {
      const q = new QmQueue(-1);
      q.qn = qn;
      return q.state();
    };
    const before = vf.snapshot().state.queues;
    expect(before.length).toBeGreaterThan(0);
    expect(before).toEqual(before.map((_, qn) => blank(qn)));
    startFunction(r.clock, r.mem, vf, 0x100_0000, 2);
    const after = vf.snapshot().state.queues;
    expect(after).not.toEqual(after.map((_, qn) => blank(qn)));
  });
});
