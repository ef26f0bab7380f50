import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDecimal } from './number-option.js';

const SEED = { min: 0, max: 0xffff_ffff };

describe('parseDecimal', () => {
  it('takes every integer in range written plainly, and gives it back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (n) => {
        expect(parseDecimal(String(n), SEED)).toBe(n);
      }),
    );
  });

  it('refuses every other spelling Number() would accept: hex, octal, binary, exponent, sign, space, fraction', () => {
    const spellings = fc
      .integer({ min: 1, max: 1_000_000 })
      .chain((n) =>
        fc.constantFrom(
          `0x${n.toString(16)}`,
          `0o${n.toString(8)}`,
          `0b${n.toString(2)}`,
          `${n}e0`,
          `${n / 10}e1`,
          `+${n}`,
          ` ${n}`,
          `${n} `,
          `${n}.0`,
          `0${n}`,
          `${n}_0`,
        ),
      );
    fc.assert(
      fc.property(spellings, (text) => {
        expect(parseDecimal(text, SEED)).toBeInstanceOf(Error);
      }),
    );
  });

  it('refuses what is out of range, with the range in the reason', () => {
    fc.assert(
      fc.property(fc.integer({ min: 33, max: 1e9 }), (n) => {
        const r = parseDecimal(String(n), { min: 1, max: 32 });
        expect(r).toBeInstanceOf(Error);
        expect((r as Error).message).toBe(`${n} is not in [1, 32]`);
      }),
    );
  });

  it('a non-integer option takes one plain fraction and nothing else', () => {
    const speed = { min: 0.01, max: 10_000, integer: false };
    expect(parseDecimal('0.25', speed)).toBe(0.25);
    expect(parseDecimal('10', speed)).toBe(10);
    for (const bad of ['.5', '5.', '1e1', '0x2', '1.2.3', '-1', 'Infinity', 'NaN', ''])
      expect(parseDecimal(bad, speed), bad).toBeInstanceOf(Error);
    expect(parseDecimal('5.0', SEED)).toBeInstanceOf(Error);
  });
});
