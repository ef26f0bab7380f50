import { describe, expect, it } from 'vitest';
import { snapshotDiff } from './snapshot.js';

describe('snapshotDiff', () => {
  it('equal snapshots: none; else the first difference with its path', () => {
    const a = {
      dev: {
        v2State: 2,
        queues: [
          { qn: 0, head: 1 },
          { qn: 1, head: 0 },
        ],
      },
      fds: [3, 4],
    };
    expect(snapshotDiff(a, structuredClone(a))).toBeUndefined();
    const b = structuredClone(a);
    b.dev.queues[1]!.head = 5;
    expect(snapshotDiff(a, b)).toBe('dev queues[1] head: 0 → 5');
    expect(snapshotDiff(a, { ...a, fds: [3] })).toBe('fds[1]: 4 → none');
    expect(snapshotDiff({ x: 1 }, { x: 1, y: 'new' })).toBe('y: none → new');
    expect(snapshotDiff({ x: null }, { x: { y: 1 } })).toBe('x: null → {"y":1}');
  });
});
