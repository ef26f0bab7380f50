import { InvalidArgumentError } from '@commander-js/extra-typings';

/** A plain decimal integer: digits only, no sign, no leading zero (so `010` is not read as ten or eight). */
const DECIMAL_INTEGER = /^(0|[1-9][0-9]*)$/;
/** A plain decimal number: an integer part, optionally a fraction (`0.25`, `10`); no exponent, no sign. */
const DECIMAL_NUMBER = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** What {@link parseDecimal} accepts. */
export interface DecimalRange {
  readonly min: number;
  readonly max: number;
  /** Integers only (default true): `5.0` is refused. */
  readonly integer?: boolean;
}

/**
 * The one parser behind every number a `vfio-sim` option takes: the text must be a plain decimal
 * (`16`, and for a non-integer option `0.25`) — no hex (`0x10`), no exponent (`1e1`), no sign, no
 * whitespace (` 5`), no `5.0` for an integer, no leading zero — and lie in `[min, max]`. JavaScript's
 * `Number()` accepts all of those spellings and more; an option refuses them so a typo never runs
 * something else than what was meant.
 * @returns the number, or a one-line reason (`a seed is …`) as an Error.
 */
export function parseDecimal(text: string, range: DecimalRange): number | Error {
  const integer = range.integer ?? true;
  const kind = integer ? 'a decimal integer' : 'a decimal number';
  const bounds = `[${range.min}, ${range.max}]`;
  if (!(integer ? DECIMAL_INTEGER : DECIMAL_NUMBER).test(text))
    return new Error(
      `'${text}' is not written as ${kind} (digits only${integer ? '' : ', one optional fraction'})`,
    );
  const n = Number(text);
  if (!Number.isFinite(n) || n < range.min || n > range.max) return new Error(`${text} is not in ${bounds}`);
  return n;
}

/**
 * A commander argument parser for a number option: {@link parseDecimal} with the option's words
 * (`what`, e.g. `a seed`) in the one-line error commander prints before exiting with status 2:
 * `error: option '--seed <n>' argument '0x10' is invalid. a seed is a decimal integer in [0, 4294967295]: '0x10' is not written as a decimal integer (digits only).`
 */
export function numberOption(what: string, range: DecimalRange): (value: string) => number {
  return (value) => {
    const n = parseDecimal(value, range);
    if (n instanceof Error)
      throw new InvalidArgumentError(
        `${what} is ${(range.integer ?? true) ? 'a decimal integer' : 'a decimal number'} in [${range.min}, ${range.max}]: ${n.message}.`,
      );
    return n;
  };
}
