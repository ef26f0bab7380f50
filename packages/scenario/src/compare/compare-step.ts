import { deviceStateName, VFIO_DEVICE_STATE_MASK } from '@vfio-sim/migration-v1';
import { migStateName } from '@vfio-sim/migration-v2';
import type { Observation } from '../execute/observation.js';
import type { Expectation, ExpectedJobs, ExpectField } from '../plan/plan.js';
import { kebab } from '../plan/plan-expectation.js';

/** One unmet expectation: the field (as the scenario spells it), what was wanted, what happened. */
export interface Mismatch {
  readonly field: string;
  readonly want: string;
  readonly got: string;
}

/**
 * Judge one step: every field of its expectation against what the executor observed. `errno` is always
 * judged (default `ok`); the other fields only when the scenario gave them. Empty: the step met its
 * expectation.
 */
export function compareStep(want: Expectation, seen: Observation): Mismatch[] {
  const out: Mismatch[] = [];
  if (want.errno !== seen.errno)
    out.push({
      field: 'errno',
      want: want.errno,
      got: seen.errno === 'ok' ? 'ok' : `${seen.errno} (${seen.message ?? ''})`,
    });
  if (want.message !== undefined && !(seen.message ?? '').includes(want.message))
    out.push({ field: 'message', want: `… ${want.message} …`, got: seen.message ?? 'no error' });
  for (const [key, value] of Object.entries(want)) {
    if (key === 'errno' || key === 'message' || value === undefined) continue;
    const field = key as ExpectField;
    out.push(...compareField(field, value, seen.got[field]));
  }
  return out;
}

function compareField(field: ExpectField, want: unknown, got: unknown): Mismatch[] {
  const miss = (w: string, g: string): Mismatch[] => [{ field: kebab(field), want: w, got: g }];
  switch (field) {
    case 'state':
      return got === want
        ? []
        : miss(v2Name(want as number), typeof got === 'number' ? v2Name(got) : show(got));
    case 'v1State': {
      const w = want as number;
      const g =
        typeof got === 'number' ? (w <= VFIO_DEVICE_STATE_MASK ? got & VFIO_DEVICE_STATE_MASK : got) : got;
      return g === w ? [] : miss(v1Name(w), typeof got === 'number' ? v1Name(got) : show(got));
    }
    case 'data':
    case 'payload':
      return got instanceof Uint8Array && equalBytes(got, want as Uint8Array)
        ? []
        : miss(hex(want as Uint8Array), got instanceof Uint8Array ? hex(got) : show(got));
    case 'bitmap':
      return Array.isArray(got) && sameList(got, want as number[])
        ? []
        : miss(runs(want as number[]), Array.isArray(got) ? runs(got as number[]) : show(got));
    case 'value':
    case 'iova':
    case 'size':
    case 'pageSize':
    case 'flags':
      return got === want
        ? []
        : miss(hexNumber(want as number), typeof got === 'number' ? hexNumber(got) : show(got));
    case 'unchanged':
      return got === true ? [] : miss('nothing changed', show(got));
    case 'error':
      return compareError(want as Expectation['error'], got);
    case 'jobs':
      return compareJobs(want as ExpectedJobs, got as Record<string, unknown> | undefined);
    case 'verdict': {
      const any = want as readonly string[];
      return typeof got === 'string' && any.includes(got)
        ? []
        : miss(any.length === 1 ? (any[0] as string) : `one of ${any.join(', ')}`, show(got));
    }
    case 'sourceStates':
    case 'destinationStates':
      return Array.isArray(got) && sameList(got, want as string[])
        ? []
        : miss(`[${(want as string[]).join(', ')}]`, Array.isArray(got) ? `[${got.join(', ')}]` : show(got));
    default:
      return got === want ? [] : miss(show(want), show(got));
  }
}

function compareError(want: Expectation['error'], got: unknown): Mismatch[] {
  const g = got as 'none' | { errno: string; phase: string; message: string } | undefined;
  const gotText =
    g === undefined ? 'none' : g === 'none' ? 'none' : `${g.errno} in ${g.phase} (${g.message})`;
  if (want === 'none' || want === undefined)
    return g === 'none' ? [] : [{ field: 'error', want: 'none', got: gotText }];
  const ok =
    g !== undefined &&
    g !== 'none' &&
    g.errno === want.errno &&
    (want.phase === undefined || g.phase === want.phase) &&
    (want.message === undefined || g.message.includes(want.message));
  const wantText = `${want.errno}${want.phase !== undefined ? ` in ${want.phase}` : ''}${want.message !== undefined ? ` (… ${want.message} …)` : ''}`;
  return ok ? [] : [{ field: 'error', want: wantText, got: gotText }];
}

function compareJobs(want: ExpectedJobs, got: Record<string, unknown> | undefined): Mismatch[] {
  const out: Mismatch[] = [];
  for (const [key, w] of Object.entries(want)) {
    if (w === undefined) continue;
    const field = `jobs.${kebab(key)}`;
    const g = got?.[key];
    if (key === 'losses') {
      out.push(...compareLosses(w as NonNullable<ExpectedJobs['losses']>, got?.losses));
      continue;
    }
    if (key === 'verified' && w === 'all') {
      if (got === undefined || g !== got.submitted)
        out.push({ field, want: `all (${show(got?.submitted)})`, got: show(g) });
      continue;
    }
    if (Array.isArray(w) || (Array.isArray(g) && typeof w === 'number')) {
      const list = Array.isArray(g) ? (g as number[]) : [];
      const ok = Array.isArray(w) ? sameList(list, w) : list.length === w;
      if (!ok)
        out.push({
          field,
          want: Array.isArray(w) ? `[${w.join(', ')}]` : `${w} job(s)`,
          got: `[${list.join(', ')}]`,
        });
      continue;
    }
    if (g !== w) out.push({ field, want: show(w), got: show(g) });
  }
  return out;
}

/** `jobs.losses`: the total, or every cause kind with its jobs (a kind not named must not occur). */
function compareLosses(want: NonNullable<ExpectedJobs['losses']>, got: unknown): Mismatch[] {
  const losses = Array.isArray(got) ? (got as { jobId: number; cause: { kind: string } }[]) : [];
  if (typeof want === 'number')
    return losses.length === want
      ? []
      : [{ field: 'jobs.losses', want: `${want} job(s)`, got: `${losses.length} job(s)` }];
  const byKind = new Map<string, number[]>();
  for (const l of losses) byKind.set(l.cause.kind, [...(byKind.get(l.cause.kind) ?? []), l.jobId]);
  const out: Mismatch[] = [];
  for (const kind of new Set([...Object.keys(want), ...byKind.keys()])) {
    const w = want[kind];
    const g = byKind.get(kind) ?? [];
    const ok = w === undefined ? g.length === 0 : Array.isArray(w) ? sameList(g, w) : g.length === w;
    if (!ok)
      out.push({
        field: `jobs.losses.${kind}`,
        want: w === undefined ? 'none' : Array.isArray(w) ? `[${w.join(', ')}]` : `${w} job(s)`,
        got: `[${g.join(', ')}]`,
      });
  }
  return out;
}

function v2Name(n: number): string {
  return migStateName(n);
}

function v1Name(n: number): string {
  const masked = n & VFIO_DEVICE_STATE_MASK;
  const name = deviceStateName(masked);
  return n > VFIO_DEVICE_STATE_MASK ? `0x${n.toString(16)} (${name})` : name;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Bytes as hex pairs (the first 64 bytes, then the count). */
export function hex(bytes: Uint8Array): string {
  let shown = '';
  for (const b of bytes.subarray(0, 64)) shown += b.toString(16).padStart(2, '0');
  return bytes.length > 64 ? `${shown}… (${bytes.length} bytes)` : bytes.length === 0 ? '(no bytes)' : shown;
}

function hexNumber(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Set bits as runs, the way a scenario writes them: `[0-3, 7]`. */
export function runs(bits: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < bits.length; ) {
    let j = i;
    while (j + 1 < bits.length && bits[j + 1] === (bits[j] as number) + 1) j++;
    parts.push(i === j ? `${bits[i]}` : `${bits[i]}-${bits[j]}`);
    i = j + 1;
  }
  return `[${parts.join(', ')}]`;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return 'none';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
