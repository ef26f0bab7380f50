import type { FieldLayout, ScalarType } from './struct-layout.js';

/**
 * Reads every field of a struct from `view` at byte `at` into a fresh object (arrays for array fields).
 */
export type StructDecoder = (view: DataView, at: number) => Record<string, unknown>;

/**
 * Checks every field of `value` (calling `bad(fieldIndex, offendingValue, isArrayElement)`, which throws,
 * on the first invalid one) and only then writes them all to `view` at byte `at`.
 */
export type StructEncoder = (
  value: Record<string, unknown>,
  view: DataView,
  at: number,
  bad: (field: number, value: unknown, element?: boolean) => never,
) => void;

/** A layout's fields compiled into straight-line code, once per layout. */
export interface StructCodec {
  readonly decode: StructDecoder;
  readonly encode: StructEncoder;
  /** A fresh all-zero value (C's `= {}`). */
  readonly zero: () => Record<string, unknown>;
}

const GET: Readonly<Record<ScalarType, string>> = {
  u8: 'getUint8',
  u16: 'getUint16',
  u32: 'getUint32',
  u64: 'getBigUint64',
};
const SET: Readonly<Record<ScalarType, string>> = {
  u8: 'setUint8',
  u16: 'setUint16',
  u32: 'setUint32',
  u64: 'setBigUint64',
};
const SIZE: Readonly<Record<ScalarType, number>> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** The JS expression that is true exactly when `x` is a valid value of `type`. */
function validExpr(type: ScalarType, x: string): string {
  switch (type) {
    case 'u8':
      return `(typeof ${x} === 'number' && (${x} & 0xff) === ${x})`;
    case 'u16':
      return `(typeof ${x} === 'number' && (${x} & 0xffff) === ${x})`;
    case 'u32':
      return `(typeof ${x} === 'number' && ${x} >>> 0 === ${x})`;
    case 'u64':
      return `(typeof ${x} === 'bigint' && ${x} >= 0n && ${x} <= 0xffffffffffffffffn)`;
  }
}

function getExpr(type: ScalarType, offset: number): string {
  return type === 'u8' ? `v.getUint8(o + ${offset})` : `v.${GET[type]}(o + ${offset}, true)`;
}

function setStmt(type: ScalarType, offset: number | string, x: string): string {
  return type === 'u8' ? `v.setUint8(o + ${offset}, ${x});` : `v.${SET[type]}(o + ${offset}, ${x}, true);`;
}

/**
 * Compile `fields` (already placed and validated: names are C identifiers, not `__proto__`) into a
 * decoder that builds one object literal (a single hidden class per layout) and an encoder that checks,
 * then writes, without a per-field lookup, closure or string on the way. Generated with `Function`
 * from nothing but the field names, types, offsets and counts.
 */
export function compileStructCodec(fields: readonly FieldLayout[]): StructCodec {
  const props: string[] = [];
  const zeros: string[] = [];
  const checks: string[] = [];
  const writes: string[] = [];
  fields.forEach((f, i) => {
    const x = `f${i}`;
    const step = SIZE[f.type];
    const zero = f.type === 'u64' ? '0n' : '0';
    zeros.push(`${f.name}: ${f.isArray ? `[${new Array(f.count).fill(zero).join(', ')}]` : zero}`);
    if (!f.isArray) {
      props.push(`${f.name}: ${getExpr(f.type, f.offset)}`);
      checks.push(`const ${x} = value.${f.name}; if (!${validExpr(f.type, x)}) bad(${i}, ${x});`);
      writes.push(setStmt(f.type, f.offset, x));
      return;
    }
    const elems = Array.from({ length: f.count }, (_, j) => getExpr(f.type, f.offset + j * step));
    props.push(`${f.name}: [${elems.join(', ')}]`);
    checks.push(
      `const ${x} = value.${f.name};`,
      `if (!Array.isArray(${x}) || ${x}.length !== ${f.count}) bad(${i}, ${x});`,
      `for (let j = 0; j < ${f.count}; j++) { const e = ${x}[j]; if (!${validExpr(f.type, 'e')}) bad(${i}, e, true); }`,
    );
    writes.push(
      `for (let j = 0; j < ${f.count}; j++) ${setStmt(f.type, `${f.offset} + j * ${step}`, `${x}[j]`)}`,
    );
  });
  const decode = new Function('v', 'o', `return { ${props.join(', ')} };`) as StructDecoder;
  const encode = new Function(
    'value',
    'v',
    'o',
    'bad',
    `${checks.join('\n')}\n${writes.join('\n')}`,
  ) as StructEncoder;
  const zero = new Function(`return { ${zeros.join(', ')} };`) as () => Record<string, unknown>;
  return { decode, encode, zero };
}
