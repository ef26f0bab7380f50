import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '@vfio-sim/scenario';
import { plantBug } from '@vfio-sim/vmm';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './__fixtures__/run-cli.js';
import { PLANT_BUG_ENV } from './campaign-command.js';

const cli = (...argv: string[]) => runCli(argv);
const tmp = () => mkdtempSync(join(tmpdir(), 'vfio-sim-campaign-'));

describe('vfio-sim campaign', () => {
  afterEach(() => {
    delete process.env[PLANT_BUG_ENV];
    delete process.env.JOB_COMPLETION_INDEX;
    plantBug(undefined);
  });

  it('runs cases, writes JSON Lines, prints progress lines on stderr (not a terminal) and the summary; exit 0', async () => {
    const out = join(tmp(), 'r.jsonl');
    const r = await cli('campaign', '--cases', '6', '--seed', '4', '--workers', '0', '--out', out);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^campaign 4: 6 cases \(\d+ migrations, \d+ uAPI\), 6 passed, 0 failed\n/);
    expect(r.stderr).toMatch(/^campaign 4: 6 cases on this thread\n/);
    expect(r.stderr).toMatch(/^campaign: 6\/6 cases \(100%\), \d+ cases\/s, 0 failed, ETA 0s$/m);
    expect(r.stderr).not.toContain('\u001b['); // no escape sequences when piped
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ type: 'campaign', format: 1, seed: 4, shard: '1/1', cases: 6 });
    expect(lines.slice(1, 7).map((l) => [l.type, l.index])).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => ['case', i]),
    );
    expect(lines[7]).toMatchObject({ type: 'summary', cases: 6, failed: 0 });
  });

  it('--out - puts the JSON Lines on stdout and the summary on stderr', async () => {
    const r = await cli('campaign', '--cases', '3', '--seed', '4', '--workers', '0', '--out', '-');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['campaign', 'case', 'case', 'case', 'summary']);
    expect(r.stderr).toMatch(/^campaign 4: 3 cases \(\d+ migrations, \d+ uAPI\), 3 passed, 0 failed$/m);
  });

  it('--replay seed:index shows the case step by step', async () => {
    const r = await cli('campaign', '--replay', '4:1');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^case 4:1: (migration|uapi) v[12] /);
    expect(r.stdout).toMatch(/^ {3}1\. setup {3}(boot|open) /m);
    expect(r.stdout).toMatch(/deterministic: true\nevery invariant holds\n$/);
  });

  it('a planted bug: exit 1, the failure shrunk to ≤ 10 steps and written; vfio-sim run reproduces it with the bug and passes without', async () => {
    const failures = tmp();
    process.env[PLANT_BUG_ENV] = 'drop-destination-completion';
    const r = await cli(
      'campaign',
      '--cases',
      '8',
      '--seed',
      '5',
      '--workers',
      '2',
      '--shrink',
      '1',
      '--failures',
      failures,
    );
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^ {2}FAIL 5:\d+ no-silent-loss at step \d+: verdict silent/m);
    expect(r.stdout).toMatch(
      /^wrote .*campaign-5-\d+\.yaml: no-silent-loss, shrunk from \d+ to \d+ steps in \d+ tries \([\d.]+ s\); vfio-sim run reproduces it: fails at step/m,
    );
    const [file] = readdirSync(failures);
    const path = join(failures, file as string);
    const { plan } = loadScenario(path);
    expect(plan!.steps.length).toBeLessThanOrEqual(10);
    delete process.env[PLANT_BUG_ENV];
    plantBug('drop-destination-completion');
    const replay = await cli('run', path);
    expect(replay.exitCode).toBe(1);
    expect(replay.stdout).toMatch(/migrate: verdict: want one of pass, aborted, attributed-loss, got silent/);
    plantBug(undefined);
    expect((await cli('run', path)).exitCode).toBe(0);
  }, 120_000);

  it('4 shards (--shard i/4, and an Indexed Job pod by JOB_COMPLETION_INDEX) merged give the unsharded summary', async () => {
    const dir = tmp();
    const files: string[] = [];
    for (const i of [1, 2, 3, 4]) {
      const file = join(dir, `r-${i}.jsonl`);
      files.push(file);
      const shardArgs = i === 4 ? ['--shards', '4'] : ['--shard', `${i}/4`];
      if (i === 4) process.env.JOB_COMPLETION_INDEX = '3';
      const r = await cli(
        'campaign',
        '--cases',
        '10',
        '--seed',
        '6',
        '--workers',
        '0',
        ...shardArgs,
        '--out',
        file,
      );
      expect(r.exitCode).toBe(0);
    }
    const merged = await cli('campaign', 'merge', ...files, '--json');
    const whole = await cli('campaign', '--cases', '10', '--seed', '6', '--workers', '0', '--json');
    expect(merged.exitCode).toBe(0);
    expect(JSON.parse(merged.stdout)).toEqual(JSON.parse(whole.stdout));
    expect(JSON.parse(merged.stdout)).toMatchObject({ cases: 10, missingCount: 0 });
    // a shard left out: its cases are missing, exit 1
    const partial = await cli('campaign', 'merge', ...files.slice(0, 3));
    expect(partial.exitCode).toBe(1);
    expect(partial.stdout).toMatch(/missing: 2 case\(s\) without a result \(first 3, 7\)/);
  }, 120_000);

  it('usage errors exit 2 with one line, nothing run', async () => {
    for (const argv of [
      ['campaign'],
      ['campaign', '--cases', '2', '--time', '1m'],
      ['campaign', '--cases', '0'],
      ['campaign', '--time', '10x'],
      ['campaign', '--cases', '2', '--shard', '5/4'],
      ['campaign', '--cases', '2', '--shards', '4'],
      ['campaign', '--cases', '2', '--workers', 'many'],
      ['campaign', '--cases', '0x10'],
      ['campaign', '--cases', '2', '--seed', '1e1'],
      ['campaign', '--cases', '2', '--out', '/nonexistent-dir/r.jsonl'],
      ['campaign', '--replay', '7'],
      ['campaign', 'merge', join(tmp(), 'none.jsonl')],
      ['campaign', 'merge'],
      ['campaign', 'merge', 'x.jsonl', '--cases', '3'],
      ['campaign', 'mrege', 'x.jsonl'],
    ]) {
      const r = await cli(...argv);
      expect(r.exitCode, argv.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    process.env[PLANT_BUG_ENV] = 'no-such-bug';
    expect((await cli('campaign', '--cases', '1')).exitCode).toBe(2);
  });
});
