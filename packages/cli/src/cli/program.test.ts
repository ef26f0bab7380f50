import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateChromeTrace } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { runCli } from './__fixtures__/run-cli.js';
import { EXIT_USAGE } from './exit-codes.js';

const run = (...argv: string[]) => runCli(argv);

describe('vfio-sim CLI', () => {
  it('demo --json prints the report as JSON and exits 0 on PASS', async () => {
    const r = await run('demo', '--json', '--seed', '5', '--jobs', '8');
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      seed: 5,
      result: 'PASS',
      iommu: 'arm-smmuv3-s1',
      ram: { mode: 'precopy' },
    });
    expect(report.jobs.verified).toBe(report.jobs.submitted);
  });

  it('demo --precopy off --iommu amd-v1 copies RAM whole over an AMD IOMMU and compares with pre-copy', async () => {
    const r = await run('demo', '--json', '--precopy', 'off', '--iommu', 'amd-v1', '--jobs', '6');
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      result: 'PASS',
      iommu: 'amd-v1',
      ram: { mode: 'stop-and-copy', rounds: [] },
      comparison: { mode: 'precopy', result: 'PASS' },
    });
  });

  it.each([
    ['sec', 'v1', 'on', 'SEC AES-128-CBC encrypt / SHA-256 / HMAC-SHA-256', 'node:crypto'],
    ['hpre', 'v2', 'off', 'HPRE modular exponentiation', 'bigint'],
  ])(
    'demo --kind %s --protocol %s --precopy %s runs that engine and verifies every job',
    async (kind, protocol, precopy, engine, ref) => {
      const r = await run(
        'demo',
        '--kind',
        kind,
        '--protocol',
        protocol,
        '--precopy',
        precopy,
        '--jobs',
        '6',
        '--seed',
        '4',
      );
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(`using a HiSilicon ${kind.toUpperCase()} VF`);
      expect(r.stdout).toContain(`Jobs (${engine}, each output checked against ${ref}`);
      expect(r.stdout).toMatch(/verified exactly once {2}(\d+) \/ \1\n/);
      expect(r.stdout).toContain('PASS: every job');
    },
  );

  it('demo --kind is deterministic per seed and rejects an unknown accelerator', async () => {
    const a = await run('demo', '--json', '--kind', 'hpre', '--jobs', '4', '--seed', '9');
    const b = await run('demo', '--json', '--kind', 'hpre', '--jobs', '4', '--seed', '9');
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout)).toMatchObject({
      kind: 'hpre',
      result: 'PASS',
      jobs: { engine: 'HPRE modular exponentiation' },
    });
    const bad = await run('demo', '--kind', 'rde');
    expect(bad.exitCode).toBe(EXIT_USAGE);
    expect(bad.stderr).toContain('--kind');
  });

  it('demo prints the human summary', async () => {
    const r = await run('demo', '--jobs', '4');
    expect(r.stdout).toContain('vfio-sim demo (seed 1)');
    expect(r.stdout).toContain('PASS');
  });

  it('demo --protocol v2 migrates over the v2 protocol and compares with v1', async () => {
    const r = await run('demo', '--json', '--protocol', 'v2', '--jobs', '6', '--seed', '3');
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      protocol: 'v2',
      result: 'PASS',
      states: { source: ['RUNNING', 'PRE_COPY', 'STOP_COPY', 'STOP'] },
      otherProtocol: { protocol: 'v1', result: 'PASS' },
    });
  });

  it('demo --trace writes a valid Perfetto JSON and leaves the summary as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfio-sim-trace-'));
    const file = join(dir, 'run.json');
    const traced = await run('demo', '--protocol', 'v2', '--jobs', '4', '--trace', file);
    const plain = await run('demo', '--protocol', 'v2', '--jobs', '4');
    expect(traced.exitCode).toBe(0);
    expect(traced.stdout).toBe(plain.stdout);
    expect(traced.stderr).toMatch(
      /trace: \d+ events written to .*run\.json \(open it in https:\/\/ui\.perfetto\.dev\)/,
    );
    const trace = JSON.parse(readFileSync(file, 'utf8'));
    validateChromeTrace(trace);
    expect(trace.otherData).toMatchObject({ seed: 1, protocol: 'v2', result: 'PASS' });
  });

  it('demo --trace into a directory that does not exist: a clear error, exit 2, no run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfio-sim-trace-'));
    const file = join(dir, 'missing', 'run.json');
    const r = await run('demo', '--trace', file);
    expect(r.exitCode).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/^error: cannot write the trace file '.*run\.json' \(ENOENT\)[^\n]*\n$/);
    expect(r.stdout).toBe('');
    expect(existsSync(file)).toBe(false);
  });

  it.each([
    [['demo', '--protocol', 'v3'], /--protocol <version>.*Allowed choices are v1, v2/],
    [['demo', '--trace'], /option '--trace <file.json>' argument missing/],
    [['demo', '--jobs', '0'], /--jobs <n>.*job count is a decimal integer in \[1, 32\]: 0 is not in/],
    [['demo', '--seed', 'x'], /--seed <n>.*a seed is a decimal integer in \[0, 4294967295\]: 'x' is not/],
    [['demo', '--bogus'], /unknown option '--bogus'/],
    [['demo', '--json', '--format', 'qmp'], /--json and --format qmp disagree/],
    [['demo', '--format', 'yaml'], /--format <format>.*Allowed choices are text, json, qmp/],
    [
      ['demo', '--trace', '-', '--report', '-'],
      /only one output can go to stdout \('-'\): the trace file and the report file/,
    ],
    [['run', '--trace', '-', '--junit', '-', 'scenarios'], /only one output can go to stdout/],
    [['demo', '--precopy', 'maybe'], /--precopy <mode>.*Allowed choices are on, off/],
    [['demo', '--iommu', 'x86'], /--iommu <format>.*Allowed choices are amd-v1, vtd-ss, arm-smmuv3-s1/],
  ])('rejects %j: one line on stderr, no stack trace, exit 2', async (argv, message) => {
    const r = await run(...argv);
    expect(r.exitCode).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^error: [^\n]*\n$/);
    expect(r.stdout).toBe('');
  });

  it('an unknown command is a usage error (exit 2); --help exits 0', async () => {
    const bad = await run('migrate-all');
    expect(bad.exitCode).toBe(EXIT_USAGE);
    expect(bad.stderr).toMatch(/^error: unknown command 'migrate-all'/);
    const help = await run('demo', '--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--protocol <version>');
  });
});
