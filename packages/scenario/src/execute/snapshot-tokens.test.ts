import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { snapshotDiff } from './snapshot.js';
import { SnapshotTokens } from './snapshot-tokens.js';

describe('SnapshotTokens', () => {
  test.prop([fc.jsonValue(), fc.jsonValue()], { numRuns: 300 })(
    'gives back the value written; two writings equal token by token are equal for snapshotDiff',
    (a, b) => {
      const ta = new SnapshotTokens().value(a);
      const tb = new SnapshotTokens().value(b);
      expect(JSON.stringify(ta.toValue())).toBe(JSON.stringify(a));
      expect(ta.toValue()).toEqual(a);
      expect(ta.equals(new SnapshotTokens().value(structuredClone(a)))).toBe(true);
      // (the converse need not hold: snapshotDiff takes [] and {} alike; a fingerprint asks it then)
      if (ta.equals(tb)) expect(snapshotDiff(a, b)).toBeUndefined();
      if (JSON.stringify(a) !== JSON.stringify(b)) expect(ta.equals(tb)).toBe(false);
      // a buffer reused for a shorter writing holds only the new one
      expect(tb.clear().value(a).equals(ta)).toBe(true);
    },
  );

  test.prop([fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)))])(
    'objects written key by key read back as the same object',
    (o) => {
      const t = new SnapshotTokens().object();
      for (const [k, v] of Object.entries(o)) t.field(k, v);
      const back = t.end().toValue();
      expect(JSON.stringify(back)).toBe(JSON.stringify(o));
      expect(Object.keys(back as object)).toEqual(Object.keys(o));
    },
  );
});
