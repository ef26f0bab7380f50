import { KernelError } from '../errno/kernel-error.js';
import { compileStructCodec, type StructCodec } from './struct-codec.js';

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
  /** encode/decode/zero compiled once from the fields: no per-call lookup, validation set-up or string. */
  private readonly codec: StructCodec;

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
      if (typeof d.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(d.name) || d.name === '__proto__') {
        throw new KernelError(
          'EINVAL',
          `struct ${name}: field name ${JSON.stringify(d.name)} is not a C identifier (or is __proto__)`,
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
    this.codec = compileStructCodec(fields);
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
    return this.codec.zero() as StructValue<F>;
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
    this.codec.encode(
      value as Record<string, unknown>,
      viewOf(out.buffer),
      out.byteOffset + at,
      this.invalid,
    );
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
    return this.codec.decode(viewOf(bytes.buffer), bytes.byteOffset + at) as StructValue<F>;
  }

  /** The error for field `i` holding `x` (an element of it if `element`), built only when one is bad. */
  private readonly invalid = (i: number, x: unknown, element = false): never => {
    const f = this.fields[i]!;
    const where = `struct ${this.name}.${f.name}`;
    if (!element) {
      if (f.isArray) throw new KernelError('EINVAL', `${where}: expected an array of ${f.count}`);
      if (x === undefined) throw new KernelError('EINVAL', `${where}: missing`);
    }
    if (f.type === 'u64') {
      throw new KernelError('ERANGE', `${where}: ${String(x)} is not a u64 (bigint in [0, 2^64))`);
    }
    throw new KernelError('ERANGE', `${where}: ${String(x)} is not a ${f.type}`);
  };
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

/**
 * A DataView over `buffer`, reused while consecutive calls pass the same buffer (one entry, for all
 * layouts: the scratch buffers of ioctl paths hit it every time; it keeps at most one buffer alive).
 */
let lastBuffer: ArrayBufferLike | undefined;
let lastView: DataView | undefined;
function viewOf(buffer: ArrayBufferLike): DataView {
  if (buffer !== lastBuffer || lastView === undefined || lastView.byteLength !== buffer.byteLength) {
    lastBuffer = buffer;
    lastView = new DataView(buffer);
  }
  return lastView;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
