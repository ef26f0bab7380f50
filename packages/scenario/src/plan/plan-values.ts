import { vfio_device_migration_info } from '@vfio-sim/migration-v1';
import { PlanError } from './plan-scope.js';

/** Hex digits (spaces and a `0x` prefix allowed) as bytes. */
export function bytesOfHex(hex: string): Uint8Array {
  const digits = hex.replace(/^0x/, '').replace(/\s+/g, '');
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Runs of set bits (`7`, `"0-3"`) as the set bits, ascending. @throws PlanError for a run last < first */
export function bitsOfRuns(runs: readonly (number | string)[]): number[] {
  const bits = new Set<number>();
  for (const run of runs) {
    const [first, last] = typeof run === 'number' ? [run, run] : run.split('-').map(Number);
    if (first === undefined || last === undefined || last < first)
      throw new PlanError(`bit run "${run}" ends before it starts`, ['expect', 'bitmap']);
    if (last - first > 1 << 24) throw new PlanError(`bit run "${run}" is too long`, ['expect', 'bitmap']);
    for (let b = first; b <= last; b++) bits.add(b);
  }
  return [...bits].sort((a, b) => a - b);
}

/** `value` as `width` bytes, little-endian. @throws PlanError if it does not fit */
export function bytesOfValue(value: number, width: number): Uint8Array {
  if (width < 1 || width > 8)
    throw new PlanError(`a value is written 1 to 8 bytes wide, not ${width}`, ['width']);
  if (width < 8 && value >= 2 ** (8 * width))
    throw new PlanError(`0x${value.toString(16)} does not fit ${width} bytes`, ['value']);
  const out = new Uint8Array(width);
  let v = BigInt(value);
  for (let i = 0; i < width; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The offset and width of a v1 register (`struct vfio_device_migration_info` field). */
export function v1Field(name: string): { offset: number; width: number } {
  const f = vfio_device_migration_info.fields.find((x) => x.name === name);
  if (f === undefined) throw new PlanError(`no v1 register "${name}"`, ['field']);
  return { offset: f.offset, width: f.size };
}
