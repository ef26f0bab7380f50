import { KernelError } from '@vfio-sim/platform';
import type { PlantedBug } from '@vfio-sim/vmm';
import { checkSeedIndex } from '../case/generate-case.js';
import type { CaseResult } from '../judge/judge-case.js';
import { createCasePool, defaultWorkers } from '../pool/case-pool.js';
import { nextInShard, type Shard, WHOLE } from './shard.js';
import { type CampaignSummary, CampaignTally } from './summary.js';

/** Options of {@link runCampaign}. */
export interface CampaignOptions {
  readonly seed: number;
  /** Cases of the whole campaign: indexes 0 .. cases − 1 (this shard runs its part). */
  readonly cases?: number;
  /** Or: run cases (from index 0 on) until this much wall-clock time has passed. */
  readonly timeMs?: number;
  /** Worker threads (default: one per core; 0: on this thread). */
  readonly workers?: number;
  /** This shard's part of the cases (default: all of them). */
  readonly shard?: Shard;
  /** Check determinism (a second run) on every case whose index is a multiple of this (default 64, 0: never). */
  readonly determinismEvery?: number;
  /** Cases per batch handed to a worker (default 8). */
  readonly batchSize?: number;
  /** A bug planted in the model on every worker (test scaffolding). */
  readonly plantBug?: PlantedBug;
  /** Keep every result in {@link CampaignRun.results} (default true; a long campaign streams them with `onResult`). */
  readonly keepResults?: boolean;
  /** Each case's result, in index order. */
  readonly onResult?: (result: CaseResult) => void;
  /** After each batch: cases done, failures so far, and time. */
  readonly onProgress?: (progress: CampaignProgress) => void;
  /** The wall clock, in ms (default `performance.now`): what `timeMs`, progress and ETA use. */
  readonly now?: () => number;
}

/** How far a campaign is. */
export interface CampaignProgress {
  readonly done: number;
  /** Cases this shard will run (null: bounded by time). */
  readonly total: number | null;
  readonly failed: number;
  readonly elapsedMs: number;
  readonly casesPerSecond: number;
  /** Estimated time to go (null when unknown). */
  readonly etaMs: number | null;
}

/** A finished campaign. */
export interface CampaignRun {
  /** Every result, by index (empty with `keepResults: false`). */
  readonly results: readonly CaseResult[];
  readonly summary: CampaignSummary;
  readonly elapsedMs: number;
  readonly workers: number;
}

/**
 * Run a campaign: cases generated from the seed (`generateCase`), each judged by the invariants
 * (`judgeCase`), in batches on a pool of worker threads (tinypool), results reported in index order.
 * Bounded by a number of cases (with a shard: this shard's part of them) or by time.
 * @throws KernelError EINVAL for bad options (before anything runs).
 */
export async function runCampaign(options: CampaignOptions): Promise<CampaignRun> {
  const { seed } = options;
  checkSeedIndex(seed, 0);
  const shard = options.shard ?? WHOLE;
  const cases = options.cases;
  const timeMs = options.timeMs;
  if ((cases === undefined) === (timeMs === undefined))
    throw new KernelError('EINVAL', 'a campaign runs a number of cases or for a time: give one');
  if (cases !== undefined && !(Number.isSafeInteger(cases) && cases >= 0))
    throw new KernelError('EINVAL', `case count ${cases}`);
  if (timeMs !== undefined && !(timeMs > 0)) throw new KernelError('EINVAL', `campaign time ${timeMs} ms`);
  const workers = options.workers ?? defaultWorkers();
  if (!(Number.isInteger(workers) && workers >= 0))
    throw new KernelError('EINVAL', `worker count ${workers}`);
  const batchSize = options.batchSize ?? 8;
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new KernelError('EINVAL', `batch size ${batchSize}`);
  const determinismEvery = options.determinismEvery ?? 64;
  const now = options.now ?? (() => performance.now());

  const total = cases === undefined ? null : countInShard(cases, shard);
  const pool = createCasePool(workers);
  const start = now();
  const results: CaseResult[] = [];
  const tally = new CampaignTally(seed);
  let error: unknown;
  const pending = new Map<number, CaseResult[]>(); // batches done out of order, by first index
  const order: number[] = []; // first index of each batch, in dispatch order
  let failed = 0;
  let done = 0;
  let next = nextInShard(0, shard);
  const more = () => (cases !== undefined ? next < cases : now() - start < (timeMs as number));
  const takeBatch = (): number[] => {
    const indices: number[] = [];
    while (indices.length < batchSize && (cases === undefined || next < cases)) {
      indices.push(next);
      next = nextInShard(next + 1, shard);
    }
    return indices;
  };
  const emitInOrder = () => {
    while (order.length > 0 && pending.has(order[0] as number)) {
      const batch = pending.get(order[0] as number) as CaseResult[];
      pending.delete(order.shift() as number);
      for (const r of batch) {
        done++;
        if (options.keepResults !== false) results.push(r);
        tally.add(r);
        if (r.violations.length > 0) failed++;
        options.onResult?.(r);
      }
    }
    const elapsedMs = now() - start;
    const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    options.onProgress?.({
      done,
      total,
      failed,
      elapsedMs,
      casesPerSecond: rate,
      etaMs:
        total !== null
          ? rate > 0
            ? ((total - done) * 1000) / rate
            : null
          : Math.max(0, (timeMs as number) - elapsedMs),
    });
  };
  try {
    const inFlight = new Set<Promise<void>>();
    const slots = Math.max(1, pool.threads) * 2;
    while (error === undefined && more()) {
      const indices = takeBatch();
      if (indices.length === 0) break;
      order.push(indices[0] as number);
      const job = pool
        .run({
          seed,
          indices,
          determinismEvery,
          ...(options.plantBug !== undefined ? { plantBug: options.plantBug } : {}),
        })
        .then(
          (batch) => {
            pending.set(indices[0] as number, batch);
            emitInOrder();
          },
          (e: unknown) => {
            error ??= e;
          },
        );
      const tracked: Promise<void> = job.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= slots) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await pool.destroy();
  }
  if (error !== undefined) throw error;
  return {
    results,
    summary: tally.summary(cases === undefined ? undefined : { cases, shards: [shard] }),
    elapsedMs: now() - start,
    workers: pool.threads,
  };
}

/** Case indexes below `cases` that belong to `shard`. */
function countInShard(cases: number, shard: Shard): number {
  return Math.max(0, Math.ceil((cases - (shard.index - 1)) / shard.count));
}
