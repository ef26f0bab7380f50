import { KernelError } from '@vfio-sim/platform';

/** One of `count` shards of a campaign (1-based `index`, as vitest's `--shard`): cases k with k mod count = index − 1. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The whole campaign as one shard. */
export const WHOLE: Shard = { index: 1, count: 1 };

/**
 * `i/n` → the shard (1 ≤ i ≤ n).
 * @throws KernelError EINVAL for anything else.
 */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count)
    throw new KernelError('EINVAL', `shard "${text}" is not i/n with 1 ≤ i ≤ n`);
  return { index, count };
}

/**
 * The shard of a Kubernetes Indexed Job's pod: `JOB_COMPLETION_INDEX` (0-based, set by the Job
 * controller in every pod) of `count` completions.
 * @throws KernelError EINVAL when the variable is missing or not an index below `count`.
 */
export function shardFromCompletionIndex(
  env: Readonly<Record<string, string | undefined>>,
  count: number,
): Shard {
  const raw = env.JOB_COMPLETION_INDEX;
  const index = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(index) || index < 0 || index >= count)
    throw new KernelError(
      'EINVAL',
      `JOB_COMPLETION_INDEX ${raw === undefined ? 'is not set' : `"${raw}" is not an index below ${count}`} (a Kubernetes Indexed Job sets it in each pod)`,
    );
  return parseShard(`${index + 1}/${count}`);
}

/** Whether case `index` belongs to `shard`. */
export function inShard(index: number, shard: Shard): boolean {
  return index % shard.count === shard.index - 1;
}

/** The first case index of `shard` at or after `from`. */
export function nextInShard(from: number, shard: Shard): number {
  const r = (shard.index - 1 - (from % shard.count) + shard.count) % shard.count;
  return from + r;
}

/** `i/n`. */
export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
