import { mkdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import {
  type CampaignSummary,
  type CaseResult,
  defaultWorkers,
  failureScenario,
  formatHeader,
  formatResultLine,
  formatShard,
  formatSummary,
  judgeCase,
  mergeResults,
  parseResults,
  parseShard,
  reproduce,
  runCampaign,
  type Shard,
  shardFromCompletionIndex,
  shrinkCase,
  WHOLE,
} from '@vfio-sim/campaign';
import { KernelError } from '@vfio-sim/platform';
import { PLANTED_BUGS, type PlantedBug, plantBug } from '@vfio-sim/vmm';
import { CAMPAIGN_SUMMARY_SCHEMA_VERSION } from '../json/campaign-summary-schema.js';
import { formatDuration, progressView } from './campaign-progress.js';
import { type ActionVerdict, type CliIo, CliUsageError, cliAction, PROCESS_IO } from './exit-codes.js';
import { withExamples } from './help-examples.js';
import { numberOption } from './number-option.js';
import { closeOutput, errnoWords, openOutputFile } from './write-file.js';

/** The environment variable that plants a bug in the model for the whole run (test scaffolding). */
export const PLANT_BUG_ENV = 'VFIO_SIM_PLANT_BUG';

/** What the command reads from its surroundings (a test passes its own). */
export interface CampaignEnvironment {
  /** stderr when it is a terminal (the progress bar), else undefined (progress lines). */
  readonly tty: NodeJS.WriteStream | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The process's: a progress bar only on a terminal outside CI. */
function processEnvironment(io: CliIo): CampaignEnvironment {
  const tty = io === PROCESS_IO && process.stderr.isTTY === true && process.env.CI === undefined;
  return { tty: tty ? process.stderr : undefined, env: process.env };
}

/** A count option: a plain decimal integer in [min, max] (the CLI's one number parser). */
function integer(what: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return numberOption(what, { min, max });
}

/** `10m`, `90s`, `1h`, `500ms`, or plain seconds → ms. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  const ms = m === null ? Number.NaN : Number(m[1]) * scale[(m[2] ?? 's') as keyof typeof scale];
  if (!(ms > 0))
    throw new InvalidArgumentError('a duration is a positive number with ms, s, m or h (e.g. 10m).');
  return ms;
}

function parseWorkers(value: string): number | 'auto' {
  return value === 'auto' ? 'auto' : integer('the worker count', 0, 1024)(value);
}

function parseReplay(value: string): { seed: number; index: number } {
  const m = /^(\d+):(\d+)$/.exec(value.trim());
  const seed = Number(m?.[1]);
  const index = Number(m?.[2]);
  if (m === null || seed > 0xffff_ffff || !Number.isSafeInteger(index))
    throw new InvalidArgumentError('a case is SEED:INDEX (e.g. 7:1234).');
  return { seed, index };
}

function parseShardOption(value: string): Shard {
  try {
    return parseShard(value);
  } catch {
    throw new InvalidArgumentError('a shard is i/n with 1 ≤ i ≤ n (e.g. 2/8).');
  }
}

/** The bug `VFIO_SIM_PLANT_BUG` names, if any. */
function plantedFromEnv(env: CampaignEnvironment['env']): PlantedBug | undefined {
  const name = env[PLANT_BUG_ENV];
  if (name === undefined || name === '') return undefined;
  if (!PLANTED_BUGS.includes(name as PlantedBug))
    throw new CliUsageError(`${PLANT_BUG_ENV}=${name}: not one of ${PLANTED_BUGS.join(', ')}`);
  return name as PlantedBug;
}

/** Options of shrinking failures and writing their scenarios. */
interface FailureOptions {
  readonly failures: string;
  readonly shrink: number;
  readonly shrinkTries: number;
}

/**
 * Shrink the first `shrink` failures and write each as a scenario in `failures/`, then run it back to
 * see it reproduces: one line each on stdout.
 */
function writeFailures(
  io: CliIo,
  seed: number,
  failed: readonly { index: number }[],
  options: FailureOptions,
  bug: PlantedBug | undefined,
): void {
  const chosen = failed.slice(0, options.shrink);
  if (chosen.length === 0) return;
  try {
    mkdirSync(options.failures, { recursive: true });
  } catch (e) {
    throw new CliUsageError(
      `cannot create the failures directory '${options.failures}': ${(e as Error).message}`,
    );
  }
  for (const { index } of chosen) {
    const t0 = performance.now();
    const shrunk = shrinkCase(seed, index, {
      maxTries: options.shrinkTries,
      ...(bug !== undefined ? { plantBug: bug } : {}),
    });
    const ms = performance.now() - t0;
    const note = `shrunk from ${shrunk.originalSteps} to ${shrunk.run.steps.length} steps in ${shrunk.tries} tries`;
    const scenario = failureScenario(shrunk.run, { seed, index, note });
    const file = join(options.failures, `campaign-${seed}-${index}.yaml`);
    try {
      writeFileSync(file, scenario.text);
    } catch (e) {
      throw new CliUsageError(`cannot write '${file}': ${(e as Error).message}`);
    }
    plantBug(bug);
    const again = reproduce(scenario, file);
    plantBug(undefined);
    io.stdout(
      `wrote ${file}: ${shrunk.invariant}, ${note} (${(ms / 1000).toFixed(1)} s); vfio-sim run ${again.reproduced ? 'reproduces it' : 'does NOT reproduce it'}: ${again.how}\n`,
    );
  }
}

/** The summary as text, or as JSON with `schemaVersion` (`schema/campaign-summary.schema.json`). */
function printSummary(io: CliIo, summary: CampaignSummary, json: boolean): void {
  io.stdout(
    json
      ? `${JSON.stringify({ schemaVersion: CAMPAIGN_SUMMARY_SCHEMA_VERSION, ...summary }, null, 2)}\n`
      : formatSummary(summary),
  );
}

/** One case replayed: what it is, each step's outcome, the verdict and the violations. */
function formatReplay(seed: number, index: number, result: CaseResult, lines: string[]): string {
  return [
    `case ${seed}:${index}: ${result.describe}`,
    ...lines,
    `verdict: ${result.verdict ?? 'none (no migration)'}${result.errno !== null ? ` (${result.errno})` : ''}; deterministic: ${result.deterministic}`,
    result.violations.length === 0
      ? 'every invariant holds'
      : result.violations.map((v) => `FAIL ${v.invariant} at step ${v.step + 1}: ${v.detail}`).join('\n'),
  ].join('\n');
}

/** `vfio-sim campaign merge FILE...`: the shards' results merged, the summary, the failures shrunk and written. */
function mergeCommandAction(
  io: CliIo,
  files: readonly string[],
  opts: FailureOptions & { readonly json?: true | undefined },
  environment: CampaignEnvironment,
): ActionVerdict {
  const parsed = files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new CliUsageError(`cannot read '${file}': ${(e as Error).message}`);
    }
    try {
      return parseResults(file, text);
    } catch (e) {
      if (e instanceof KernelError) throw new CliUsageError(e.message);
      throw e;
    }
  });
  let merged: ReturnType<typeof mergeResults>;
  try {
    merged = mergeResults(parsed);
  } catch (e) {
    if (e instanceof KernelError) throw new CliUsageError(e.message);
    throw e;
  }
  const summary = merged.tally.summary(merged.planned);
  printSummary(io, summary, opts.json === true);
  writeFailures(io, summary.seed, summary.failures, opts, plantedFromEnv(environment.env));
  return summary.failed === 0 && summary.missingCount === 0 ? 'PASS' : 'FAIL';
}

/** The options of shrinking failures and writing them, on `campaign` and `campaign merge`. */
function withFailureOptions<A extends unknown[], O extends OptionValues>(c: Command<A, O>) {
  return c
    .option('--failures <dir>', 'where failing cases are written as scenario files', 'campaign-failures')
    .option('--shrink <n>', 'failing cases to shrink and write (0: none)', integer('the shrink count', 0), 3)
    .option(
      '--shrink-tries <n>',
      'candidate cases a shrink runs at most',
      integer('the shrink budget', 1),
      400,
    );
}

/**
 * `vfio-sim campaign --cases N | --time 10m [--seed S] [--workers auto] [--shard i/n | --shards n]
 * [--out r.jsonl]`, `--replay S:I`, and `vfio-sim campaign merge r-*.jsonl`: randomized migrations
 * and hostile uAPI cases on every core, each judged by the invariants (`@vfio-sim/campaign`); failures
 * shrunk and written as scenario files. Exit 1 when a case failed (or, merged, a case is missing).
 */
export function campaignCommand(io: CliIo, environment: CampaignEnvironment = processEnvironment(io)) {
  const command = withFailureOptions(
    new Command('campaign')
      .description(
        'randomized live migrations and hostile uAPI cases from a seed on every core, each judged by the invariants (no silent loss, RAM identical, verdicts proven, errno-only failures leaving the device as it was, QEMU’s multiple-devices blocker, determinism); failures shrunk to scenario files',
      )
      .option('--cases <n>', 'cases of the whole campaign (indexes 0 .. n-1)', integer('the case count', 1))
      .option(
        '--time <duration>',
        'or run cases until this much time has passed (10m, 90s, 1h)',
        parseDuration,
      )
      .option(
        '--seed <n>',
        'the campaign seed: a case is fully determined by (seed, index)',
        integer('a seed', 0, 0xffff_ffff),
        1,
      )
      .addOption(
        new Option('--workers <n>', 'worker threads: auto (one per core) or a number (0: this thread)')
          .argParser(parseWorkers)
          .default('auto' as const),
      )
      .option(
        '--shard <i/n>',
        "run this shard's part of the cases (1-based, as vitest --shard)",
        parseShardOption,
      )
      .option(
        '--shards <n>',
        'a Kubernetes Indexed Job: the shard is JOB_COMPLETION_INDEX (0-based) + 1 of n',
        integer('the shard count', 1),
      )
      .option(
        '--out <file.jsonl>',
        'write every case result as JSON Lines (a header, one line per case, the summary)',
      )
      .option(
        '--determinism-every <n>',
        'run every n-th case twice and compare the traces (0: never)',
        integer('the determinism interval', 0),
        64,
      )
      .option('--replay <seed:index>', 'rerun one case and show it step by step', parseReplay)
      .option(
        '--json',
        'print the summary as JSON (with schemaVersion; schema/campaign-summary.schema.json)',
      ),
  )
    .argument(
      '[merge...]',
      'merge FILE...: merge the results files (--out) of a campaign’s shards instead of running cases',
    )
    .action(
      cliAction(io, async (words, opts) => {
        if (words.length > 0) {
          if (words[0] !== 'merge' || words.length < 2)
            throw new CliUsageError(`unknown arguments '${words.join(' ')}': the only one is merge FILE...`);
          const runOnly = (['cases', 'time', 'replay', 'shard', 'shards', 'out'] as const).filter(
            (k) => opts[k] !== undefined,
          );
          if (runOnly.length > 0)
            throw new CliUsageError(`merge takes no --${runOnly.join(', --')}: it reads the shards' results`);
          return mergeCommandAction(io, words.slice(1), opts, environment);
        }
        const bug = plantedFromEnv(environment.env);
        if (opts.replay !== undefined) {
          const { seed, index } = opts.replay;
          plantBug(bug);
          let judged: ReturnType<typeof judgeCase>;
          try {
            judged = judgeCase(seed, index, {
              determinism: true,
              ...(bug !== undefined ? { plantBug: bug } : {}),
            });
          } finally {
            plantBug(undefined);
          }
          const { result, run } = judged;
          const lines = run.steps.map((s, i) => {
            const o = run.observations[i];
            const [action, args] = Object.entries(s.step)[0] as [string, unknown];
            return `  ${String(i + 1).padStart(2)}. ${s.role.padEnd(7)} ${action} ${JSON.stringify(args)} → ${o === undefined ? 'not run' : o.errno}${o?.unchanged !== undefined && o.errno !== 'ok' ? (o.unchanged === true ? ', unchanged' : `, changed: ${o.unchanged}`) : ''}`;
          });
          io.stdout(`${formatReplay(seed, index, result, lines)}\n`);
          if (result.violations.length > 0) writeFailures(io, seed, [{ index }], opts, bug);
          return result.violations.length === 0 ? 'PASS' : 'FAIL';
        }
        if ((opts.cases === undefined) === (opts.time === undefined))
          throw new CliUsageError('give --cases N or --time DURATION (one of them)');
        if (opts.shard !== undefined && opts.shards !== undefined)
          throw new CliUsageError('give --shard i/n or --shards n, not both');
        let shard: Shard = opts.shard ?? WHOLE;
        if (opts.shards !== undefined) {
          try {
            shard = shardFromCompletionIndex(environment.env, opts.shards);
          } catch (e) {
            if (e instanceof KernelError) throw new CliUsageError(e.message);
            throw e;
          }
        }
        const workers = opts.workers === 'auto' ? defaultWorkers() : opts.workers;
        const out = opts.out !== undefined ? openOutputFile(opts.out, 'results file') : undefined;
        const write = (text: string) => {
          if (out === undefined) return;
          if (out.fd === null) {
            io.stdout(text);
            return;
          }
          try {
            writeSync(out.fd, text);
          } catch (e) {
            throw new CliUsageError(`cannot write the ${out.what} '${out.path}' ${errnoWords(e)}`);
          }
        };
        write(formatHeader(opts.seed, shard, opts.cases ?? null));
        const view = progressView({ tty: environment.tty, timeMs: opts.time }, io.stderr);
        io.stderr(
          `campaign ${opts.seed}${shard.count > 1 ? `, shard ${formatShard(shard)}` : ''}: ${opts.cases !== undefined ? `${opts.cases} cases` : `for ${formatDuration(opts.time as number)}`} on ${workers === 0 ? 'this thread' : `${workers} worker thread(s)`}${bug !== undefined ? ` — planted bug ${bug}` : ''}\n`,
        );
        // With `--out -` the results take stdout; the summary and the failures go to stderr.
        const said: CliIo = out?.fd === null ? { ...io, stdout: io.stderr } : io;
        let run: Awaited<ReturnType<typeof runCampaign>>;
        try {
          run = await runCampaign({
            seed: opts.seed,
            ...(opts.cases !== undefined ? { cases: opts.cases } : {}),
            ...(opts.time !== undefined ? { timeMs: opts.time } : {}),
            workers,
            shard,
            determinismEvery: opts.determinismEvery,
            keepResults: false,
            ...(bug !== undefined ? { plantBug: bug } : {}),
            onResult: (r) => write(formatResultLine(r)),
            onProgress: (p) => view.update(p),
          });
          write(`${JSON.stringify({ type: 'summary', ...run.summary })}\n`);
        } finally {
          view.stop();
          closeOutput(out);
        }
        io.stderr(
          `campaign: ${run.summary.cases} cases in ${(run.elapsedMs / 1000).toFixed(1)} s (${((run.summary.cases * 1000) / Math.max(1, run.elapsedMs)).toFixed(0)} cases/s on ${run.workers === 0 ? 'this thread' : `${run.workers} worker thread(s)`})\n`,
        );
        printSummary(said, run.summary, opts.json === true);
        writeFailures(said, opts.seed, run.summary.failures, opts, bug);
        return run.summary.failed === 0 ? 'PASS' : 'FAIL';
      }),
    );
  return withExamples(command, [
    { args: 'campaign --cases 2000 --seed 7', what: '2000 cases of seed 7 on every core' },
    {
      args: 'campaign --time 10m --out r.jsonl',
      what: 'as many as fit in 10 minutes, results as JSON Lines',
    },
    {
      args: 'campaign --cases 100000 --shard 3/8 --out r-3.jsonl',
      what: 'shard 3 of 8 of a larger campaign',
    },
    { args: 'campaign merge r-1.jsonl r-2.jsonl', what: "the shards' summary and failures" },
    { args: 'campaign --replay 7:1234', what: 'one case again, step by step' },
  ]);
}
