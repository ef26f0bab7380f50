import { KernelError } from '../errno/kernel-error.js';

/** C scalar types the layouts use: `__u8`, `__u16`, `__u32`, `__u64` (= `__aligned_u64`, `dma_addr_t`). */
export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64';

/** Byte size (and natural alignment) of each scalar type on the LP64 ABIs modelled (arm64, x86_64). */
export const SCALAR_SIZE: Readonly<Record<ScalarType, number>> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/**
 * One field as written in the C header: `u32 qm_eqc_dw[7];` is `{ name: 'qm_eqc_dw', type: 'u32', count: 7 }`.
 * `offset`, when given, is an assertion: the declaration fails if natural alignment puts the field
 * elsewhere (use it to pin offsets taken from the C compiler). Explicit padding is a field like any other
 * (`{ name: 'padding', type: 'u8', count: 4 }`).
 */
export interface FieldDecl {
  readonly name: string;
  readonly type: ScalarType;
  readonly count?: number;
  readonly offset?: number;
}

/** The decoded value of one field: `number` (≤ 32 bits) or `bigint` (u64), arrays for `count`. */
export type FieldValue<D extends FieldDecl> = D extends { readonly count: number }
  ? D['type'] extends 'u64'
    ? bigint[]
    : number[]
  : D['type'] extends 'u64'
    ? bigint
    : number;

/** The decoded value of a whole struct: one property per field, named as in C. */
export type StructValue<F extends readonly FieldDecl[]> = {
  -readonly [D in F[number] as D['name']]: FieldValue<D>;
};

/** A field with its computed placement. */
export interface FieldLayout {
  readonly name: string;
  readonly type: ScalarType;
  /** Elements (1 for a scalar). */
  readonly count: number;
  /** Whether the C declaration is an array (even of one element). */
  readonly isArray: boolean;
  readonly offset: number;
  /** Bytes occupied by the field (element size × count). */
  readonly size: number;
}

/** Options of {@link defineStruct}. */
export interface StructOptions {
  /** Assert the total size (`sizeof`) the C compiler reports. */
  readonly size?: number;
}

/**
 * A C struct layout declared once as data: sizes, offsets, encode and decode (little-endian, natural
 * alignment as the C compiler lays out the struct on LP64, trailing padding to the largest alignment).
 *
 * Kernel counterpart: the struct definitions in the uAPI and driver headers; `offsetof`, `sizeof`,
 * `offsetofend`.
 */
export class StructLayout<F extends readonly FieldDecl[]> {
  /** `sizeof(struct name)`. */
  readonly size: number;
  /** Largest member alignment. */
  readonly align: number;
  /** Every field in declaration order, placed. */
  readonly fields: readonly FieldLayout[];
  private readonly byName: ReadonlyMap<string, FieldLayout>;
  // The fields compiled once for encode/decode: parallel arrays, no per-call lookups or strings.
  private readonly names: readonly string[];
  private readonly kinds: Uint8Array;
  private readonly offsets: Uint32Array;
  /** Elements of an array field; -1 for a scalar. */
  private readonly counts: Int32Array;

  constructor(
    /** The C struct name, e.g. `'vfio_region_info'`. */
    readonly name: string,
    declarations: F,
    options: StructOptions = {},
  ) {
    if (name.length === 0) throw new KernelError('EINVAL', 'struct layout needs a name');
    if (declarations.length === 0) throw new KernelError('EINVAL', `struct ${name}: no fields`);
    const fields: FieldLayout[] = [];
    const byName = new Map<string, FieldLayout>();
    let offset = 0;
    let align = 1;
    for (const d of declarations) {
      const where = `struct ${name}.${d.name}`;
      if (typeof d.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(d.name)) {
        throw new KernelError(
          'EINVAL',
          `struct ${name}: field name ${JSON.stringify(d.name)} is not a C identifier`,
        );
      }
      if (byName.has(d.name)) throw new KernelError('EEXIST', `${where}: duplicate field`);
      const elem = SCALAR_SIZE[d.type as ScalarType];
      if (elem === undefined)
        throw new KernelError('EINVAL', `${where}: unknown type ${JSON.stringify(d.type)}`);
      const count = d.count ?? 1;
      if (!Number.isSafeInteger(count) || count <= 0) {
        throw new KernelError('EINVAL', `${where}: count ${d.count} is not a positive integer`);
      }
      offset = alignUp(offset, elem);
      if (d.offset !== undefined && d.offset !== offset) {
        throw new KernelError(
          'EINVAL',
          `${where}: declared at offset ${d.offset}, natural alignment puts it at ${offset}`,
          {
            declared: d.offset,
            computed: offset,
          },
        );
      }
      const field: FieldLayout = {
        name: d.name,
        type: d.type,
        count,
        isArray: d.count !== undefined,
        offset,
        size: elem * count,
      };
      fields.push(field);
      byName.set(d.name, field);
      offset += field.size;
      align = Math.max(align, elem);
    }
    this.size = alignUp(offset, align);
    this.align = align;
    if (options.size !== undefined && options.size !== this.size) {
      throw new KernelError(
        'EINVAL',
        `struct ${name}: declared size ${options.size}, layout gives ${this.size}`,
        {
          declared: options.size,
          computed: this.size,
        },
      );
    }
    this.fields = fields;
    this.byName = byName;
    this.names = fields.map((f) => f.name);
    this.kinds = Uint8Array.from(fields, (f) => KIND[f.type]);
    this.offsets = Uint32Array.from(fields, (f) => f.offset);
    this.counts = Int32Array.from(fields, (f) => (f.isArray ? f.count : -1));
  }

  /** `offsetof(struct, field)`. */
  offsetOf(field: keyof StructValue<F> & string): number {
    return this.field(field).offset;
  }

  /** `offsetofend(struct, field)`: the first byte after the field (how the kernel computes `minsz`). */
  offsetOfEnd(field: keyof StructValue<F> & string): number {
    const f = this.field(field);
    return f.offset + f.size;
  }

  /** The placement of one field. */
  field(field: keyof StructValue<F> & string): FieldLayout {
    const f = this.byName.get(field);
    if (f === undefined) throw new KernelError('EINVAL', `struct ${this.name} has no field ${field}`);
    return f;
  }

  /** A value with every field zero (C's `= {}`), to spread over: `{ ...layout.zero(), argsz: 32 }`. */
  zero(): StructValue<F> {
    const v: Record<string, unknown> = {};
    for (const f of this.fields) {
      const zero = f.type === 'u64' ? 0n : 0;
      v[f.name] = f.isArray ? new Array<unknown>(f.count).fill(zero) : zero;
    }
    return v as StructValue<F>;
  }

  /**
   * Encode `value` into `out` at `at` (default: a new zeroed buffer of {@link size} bytes).
   * @throws KernelError ERANGE for a value that does not fit its field, EINVAL for a wrong array length
   * or a missing field, EFAULT if `out` is too small. Nothing is written unless every field is valid.
   */
  encode(value: StructValue<F>, out: Uint8Array = new Uint8Array(this.size), at = 0): Uint8Array {
    if (!(at >= 0 && at + this.size <= out.length)) {
      throw new KernelError(
        'EFAULT',
        `struct ${this.name}: ${this.size} bytes do not fit at ${at} in ${out.length}`,
      );
    }
    const v = value as Record<string, unknown>;
    const { names, kinds, counts } = this;
    // Check every field before writing any (nothing is written unless all are valid).
    for (let i = 0; i < names.length; i++) {
      const x = v[names[i]!];
      const count = counts[i]!;
      if (count < 0) {
        if (!fits(kinds[i]!, x)) this.invalid(i, x);
      } else {
        if (!Array.isArray(x) || x.length !== count) this.invalid(i, x);
        for (let j = 0; j < count; j++) if (!fits(kinds[i]!, x[j])) this.invalid(i, x[j]);
      }
    }
    const view = new DataView(out.buffer, out.byteOffset + at, this.size);
    const { offsets } = this;
    for (let i = 0; i < names.length; i++) {
      const x = v[names[i]!];
      const kind = kinds[i]!;
      const count = counts[i]!;
      if (count < 0) put(view, kind, offsets[i]!, x as number | bigint);
      else {
        const xs = x as readonly (number | bigint)[];
        const step = KIND_SIZE[kind]!;
        for (let j = 0; j < count; j++) put(view, kind, offsets[i]! + j * step, xs[j]!);
      }
    }
    return out;
  }

  /**
   * Decode the struct found at `at` in `bytes`.
   * @throws KernelError EFAULT if fewer than {@link size} bytes are available.
   */
  decode(bytes: Uint8Array, at = 0): StructValue<F> {
    if (!(at >= 0 && at + this.size <= bytes.length)) {
      throw new KernelError(
        'EFAULT',
        `struct ${this.name}: need ${this.size} bytes at ${at}, have ${bytes.length}`,
      );
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, this.size);
    const { names, kinds, offsets, counts } = this;
    const v: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      const kind = kinds[i]!;
      const count = counts[i]!;
      if (count < 0) v[names[i]!] = get(view, kind, offsets[i]!);
      else {
        const xs: (number | bigint)[] = new Array(count);
        const step = KIND_SIZE[kind]!;
        for (let j = 0; j < count; j++) xs[j] = get(view, kind, offsets[i]! + j * step);
        v[names[i]!] = xs;
      }
    }
    return v as StructValue<F>;
  }

  /** The error for field `i` holding `x` (built only when a value is bad). */
  private invalid(i: number, x: unknown): never {
    const f = this.fields[i]!;
    const where = `struct ${this.name}.${f.name}`;
    if (f.isArray && (!Array.isArray(x) || x.length !== f.count)) {
      throw new KernelError('EINVAL', `${where}: expected an array of ${f.count}`);
    }
    if (x === undefined) throw new KernelError('EINVAL', `${where}: missing`);
    if (f.type === 'u64') {
      throw new KernelError('ERANGE', `${where}: ${String(x)} is not a u64 (bigint in [0, 2^64))`);
    }
    throw new KernelError('ERANGE', `${where}: ${String(x)} is not a ${f.type}`);
  }
}

/**
 * Declare a C struct layout. Keep the C field names so `grep` finds both sides.
 *
 * @example
 * ```ts
 * const qm_mailbox = defineStruct('qm_mailbox', [
 *   { name: 'w0', type: 'u16' },
 *   { name: 'queue_num', type: 'u16' },
 *   { name: 'base_l', type: 'u32' },
 *   { name: 'base_h', type: 'u32' },
 *   { name: 'rsvd', type: 'u32' },
 * ], { size: 16 });
 * ```
 */
export function defineStruct<const F extends readonly FieldDecl[]>(
  name: string,
  fields: F,
  options?: StructOptions,
): StructLayout<F> {
  return new StructLayout(name, fields, options);
}

/** Scalar types as small numbers for the compiled field arrays. */
const U8 = 0;
const U16 = 1;
const U32 = 2;
const U64 = 3;
const KIND: Readonly<Record<ScalarType, number>> = { u8: U8, u16: U16, u32: U32, u64: U64 };
const KIND_SIZE: readonly number[] = [1, 2, 4, 8];
const U64_MAX = (1n << 64n) - 1n;

/** Whether `x` is a valid value of scalar kind `kind` (number ≤ 32 bits, bigint for u64). */
function fits(kind: number, x: unknown): boolean {
  switch (kind) {
    case U8:
      return typeof x === 'number' && (x & 0xff) === x;
    case U16:
      return typeof x === 'number' && (x & 0xffff) === x;
    case U32:
      return typeof x === 'number' && x >>> 0 === x;
    default:
      return typeof x === 'bigint' && x >= 0n && x <= U64_MAX;
  }
}

function put(view: DataView, kind: number, offset: number, x: number | bigint): void {
  switch (kind) {
    case U8:
      view.setUint8(offset, x as number);
      break;
    case U16:
      view.setUint16(offset, x as number, true);
      break;
    case U32:
      view.setUint32(offset, x as number, true);
      break;
    default:
      view.setBigUint64(offset, x as bigint, true);
  }
}

function get(view: DataView, kind: number, offset: number): number | bigint {
  switch (kind) {
    case U8:
      return view.getUint8(offset);
    case U16:
      return view.getUint16(offset, true);
    case U32:
      return view.getUint32(offset, true);
    default:
      return view.getBigUint64(offset, true);
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
