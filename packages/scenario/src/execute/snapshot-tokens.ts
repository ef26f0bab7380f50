/** Opens an object in a token stream: then key, value, key, value … until {@link END}. */
const OBJECT = Symbol('object');
/** Opens an array: values until {@link END}. */
const ARRAY = Symbol('array');
/** Closes the innermost object or array. */
const END = Symbol('end');

/** A value a token stream holds as one token. */
export type SnapshotLeaf = string | number | boolean | null | undefined;

/**
 * A snapshot written as a flat stream of tokens instead of nested objects — markers that open an object
 * or an array and close it, keys, and leaf values — in an array reused from one writing to the next, so
 * writing one allocates nothing once the array is large enough, and two are compared token by token
 * ({@link equals}). {@link toValue} gives back the object the same writing would have built, for
 * {@link snapshotDiff} to name a difference in the usual terms. Written by the functions of
 * `snapshot.ts`, which build their objects from it.
 *
 * Kernel counterpart: none (a test harness's view of the model).
 */
export class SnapshotTokens {
  private tokens: unknown[] = [];
  /** Tokens of the current writing. */
  private length = 0;

  /** Start a new writing (the array is kept). */
  clear(): this {
    this.length = 0;
    return this;
  }

  /** Open an object: {@link key} and a value, as many as it has, then {@link end}. */
  object(): this {
    return this.push(OBJECT);
  }

  /** Open an array: its values, then {@link end}. */
  array(): this {
    return this.push(ARRAY);
  }

  /** Close the innermost object or array. */
  end(): this {
    return this.push(END);
  }

  /** A key of the object open (its value follows). */
  key(name: string): this {
    return this.push(name);
  }

  /** A leaf value: in an array, or after a key. */
  leaf(value: SnapshotLeaf): this {
    return this.push(value);
  }

  /**
   * Any value, walked: an array's elements and a plain object's own enumerable keys (in their order) as
   * tokens, anything else as one leaf — for parts a writer does not spell out (a `{ read, write }`
   * permission, a device's globals).
   */
  value(v: unknown): this {
    if (Array.isArray(v)) {
      this.push(ARRAY);
      for (const x of v) this.value(x);
      return this.push(END);
    }
    if (typeof v === 'object' && v !== null) {
      this.push(OBJECT);
      for (const k of Object.keys(v)) this.push(k).value((v as Record<string, unknown>)[k]);
      return this.push(END);
    }
    return this.push(v);
  }

  /** A key and its leaf value. */
  field(name: string, value: SnapshotLeaf): this {
    return this.push(name).push(value);
  }

  /** Whether `other` holds the same tokens (leaves compared with `Object.is`). */
  equals(other: SnapshotTokens): boolean {
    if (this.length !== other.length) return false;
    const a = this.tokens;
    const b = other.tokens;
    for (let i = 0; i < this.length; i++) if (!Object.is(a[i], b[i])) return false;
    return true;
  }

  /** The value the tokens describe: objects, arrays and leaves, as the writing would have built them. */
  toValue(): unknown {
    let i = 0;
    const read = (): unknown => {
      const t = this.tokens[i++];
      if (t === OBJECT) {
        const out: Record<string, unknown> = {};
        while (this.tokens[i] !== END) {
          const name = this.tokens[i++] as string;
          const value = read();
          // an own key even where assigning it would set the prototype
          if (name === '__proto__')
            Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
          else out[name] = value;
        }
        i++;
        return out;
      }
      if (t === ARRAY) {
        const out: unknown[] = [];
        while (this.tokens[i] !== END) out.push(read());
        i++;
        return out;
      }
      return t;
    };
    return this.length === 0 ? undefined : read();
  }

  private push(token: unknown): this {
    this.tokens[this.length++] = token;
    return this;
  }
}
