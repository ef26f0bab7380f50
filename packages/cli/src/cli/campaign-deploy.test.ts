import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './__fixtures__/run-cli.js';

/*
 * The shipped distribution examples (deploy/), run as written: each shard's command through the CLI's
 * entry point, the merge, and one unsharded run of the same cases — the summaries must be identical.
 * Only the scale changes: CASES is small, the workers run on the test's thread.
 */

const DEPLOY = fileURLToPath(new URL('../../../../deploy/', import.meta.url));
const CASES = '12';
const SEED = '7';

/** The summary of one unsharded run of the same cases. */
async function unsharded(): Promise<unknown> {
  const r = await runCli(['campaign', '--seed', SEED, '--cases', CASES, '--workers', '0', '--json']);
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout);
}

/** `vfio-sim campaign merge FILES --json`: its summary. */
async function merged(files: readonly string[]): Promise<unknown> {
  const r = await runCli(['campaign', 'merge', ...files, '--json', '--shrink', '0']);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout);
}

describe('deploy/: the distribution examples', () => {
  afterEach(() => {
    delete process.env.JOB_COMPLETION_INDEX;
  });

  it('the Kubernetes Indexed Job: each pod by its JOB_COMPLETION_INDEX, merged = one unsharded run', async () => {
    const job = parse(readFileSync(join(DEPLOY, 'kubernetes/campaign-job.yaml'), 'utf8'));
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed' } });
    const container = job.spec.template.spec.containers[0];
    expect(container.command).toEqual(['node', 'packages/cli/dist/cli.js']);
    const args: string[] = container.args;
    const completions: number = job.spec.completions;
    expect(completions).toBe(4);
    expect(Number(args[args.indexOf('--shards') + 1])).toBe(completions);
    const dir = mkdtempSync(join(tmpdir(), 'vfio-sim-k8s-'));
    const files: string[] = [];
    for (let index = 0; index < completions; index++) {
      process.env.JOB_COMPLETION_INDEX = String(index);
      // Kubernetes expands $(VAR) in args from the container's env (JOB_COMPLETION_INDEX included)
      const env: Record<string, string> = {
        ...Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value])),
        CASES,
        SEED,
        WORKERS: '0',
        JOB_COMPLETION_INDEX: String(index),
      };
      const argv = args.map((a) =>
        a.replace(/\$\((\w+)\)/g, (_, v: string) => env[v] ?? '').replace(/^\/results\//, `${dir}/`),
      );
      const r = await runCli(argv);
      expect(r.exitCode, r.stderr).toBe(0);
      files.push(argv[argv.indexOf('--out') + 1] as string);
    }
    expect(files).toEqual([0, 1, 2, 3].map((i) => join(dir, `r-${i}.jsonl`)));
    expect(await merged(files)).toEqual(await unsharded());
  }, 120_000);

  it('the CI matrix: each matrix job by its shard, merged by the merge job = one unsharded run', async () => {
    const workflow = parse(readFileSync(join(DEPLOY, 'github-actions/campaign.yml'), 'utf8'));
    const shards: number[] = workflow.jobs.shard.strategy.matrix.shard;
    expect(shards).toEqual([1, 2, 3, 4]);
    const run: string = workflow.jobs.shard.steps.find(
      (s: { name?: string }) => s.name === 'campaign shard',
    ).run;
    const mergeRun: string = workflow.jobs.merge.steps.find(
      (s: { name?: string }) => s.name === 'campaign merge',
    ).run;
    const dir = mkdtempSync(join(tmpdir(), 'vfio-sim-ci-'));
    const vars: Record<string, string> = { SEED, CASES, SHARDS: String(workflow.env.SHARDS) };
    const argvOf = (line: string, shard?: number) => {
      const words = line
        .replace(/\$\{\{ matrix\.shard \}\}/g, String(shard))
        .replace(/\$(\w+)/g, (_, v: string) => vars[v] ?? '')
        .split(/\s+/);
      expect(words.slice(0, 2)).toEqual(['node', 'packages/cli/dist/cli.js']);
      return words
        .slice(2)
        .map((w, i, all) => (all[i - 1] === '--out' ? join(dir, w) : all[i - 1] === '--workers' ? '0' : w));
    };
    const files: string[] = [];
    for (const shard of shards) {
      const argv = argvOf(run, shard);
      const r = await runCli(argv);
      expect(r.exitCode, r.stderr).toBe(0);
      files.push(argv[argv.indexOf('--out') + 1] as string);
    }
    // the merge job's command, its glob expanded as the shell would
    const mergeArgv = argvOf(mergeRun).flatMap((w) => (w === 'r-*.jsonl' ? files : [w]));
    expect(mergeArgv.slice(0, 2)).toEqual(['campaign', 'merge']);
    const m = await runCli(
      [...mergeArgv, '--json', '--shrink', '0'].map((w, i, all) =>
        all[i - 1] === '--failures' ? join(dir, w) : w,
      ),
    );
    expect(m.exitCode).toBe(0);
    expect(JSON.parse(m.stdout)).toEqual(await unsharded());
    expect(await merged(files)).toEqual(await unsharded());
  }, 120_000);
});
