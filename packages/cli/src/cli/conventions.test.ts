import { readFileSync } from 'node:fs';
import { CommanderError } from '@commander-js/extra-typings';
import { validateChromeTrace } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { capturedIo } from './__fixtures__/captured-io.js';
import { runCli } from './__fixtures__/run-cli.js';
import { EXIT_PASS, EXIT_USAGE, runCli as runProgram } from './exit-codes.js';
import { createProgram } from './program.js';

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

/** The `$ vfio-sim …` lines of a help text, as argument lists (a shell redirection cut off). */
function helpExamples(help: string): string[][] {
  return [...help.matchAll(/^ {2}\$ vfio-sim (.+?)\s+# /gm)].map((m) =>
    (m[1] ?? '')
      .split(/ [>|] /)[0]!
      .trim()
      .split(/\s+/),
  );
}

/**
 * Parse `argv` as the CLI would, but stop before any action runs: whether commander (and each option's
 * parser) accepts the command line.
 */
async function parsesAs(argv: readonly string[]): Promise<{ code: number | undefined; stderr: string }> {
  const { io, out } = capturedIo();
  const program = createProgram(io);
  const stop = () => {
    throw new CommanderError(0, 'test.parsed', 'parsed');
  };
  for (const c of program.commands) c.hook('preAction', stop);
  await runProgram(program, argv, io, 'user');
  return { code: out.exitCode, stderr: out.stderr };
}

describe('--version and --help', () => {
  it('--version prints the package version and exits 0', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r).toEqual({ stdout: `${PACKAGE.version}\n`, stderr: '', exitCode: 0 });
    }
  });

  // every command of the program: one added later gets checked without being listed here
  it.each(createProgram().commands.map((c) => c.name()))(
    '`%s --help` shows examples, and every example parses',
    async (command) => {
      const r = await runCli([command, '--help']);
      expect(r.exitCode).toBe(EXIT_PASS);
      expect(r.stdout).toContain('\nExamples:\n');
      const examples = helpExamples(r.stdout);
      expect(examples.length).toBeGreaterThanOrEqual(2);
      for (const argv of examples) {
        expect(argv[0]).toBe(command);
        expect(await parsesAs(argv), argv.join(' ')).toEqual({ code: EXIT_PASS, stderr: '' });
      }
    },
  );

  it('the program’s own --help lists every command and examples that parse', async () => {
    const r = await runCli(['--help']);
    for (const c of createProgram().commands.map((x) => x.name()))
      expect(r.stdout).toMatch(new RegExp(`^ {2}${c}\\b`, 'm'));
    for (const argv of helpExamples(r.stdout).filter((a) => !a.includes('--help')))
      expect(await parsesAs(argv), argv.join(' ')).toEqual({ code: EXIT_PASS, stderr: '' });
  });

  it('a broken example would be caught: the parse check refuses a bad value', async () => {
    expect((await parsesAs(['demo', '--jobs', '1e1'])).code).toBe(EXIT_USAGE);
  });
});

describe('numbers are parsed strictly (one parser for every number option)', () => {
  it.each([
    ['--seed', '0x10'],
    ['--seed', '1e1'],
    ['--seed', ' 5'],
    ['--seed', '5 '],
    ['--seed', '5.0'],
    ['--seed', '-1'],
    ['--seed', '+5'],
    ['--seed', '007'],
    ['--seed', '4294967296'],
    ['--jobs', '1e1'],
    ['--jobs', '0x10'],
    ['--jobs', '5.0'],
    ['--jobs', ''],
  ])('demo %s %j: one line on stderr, exit 2, nothing run', async (option, value) => {
    const r = await runCli(['demo', option, value]);
    expect(r.exitCode).toBe(EXIT_USAGE);
    const quoted = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(r.stderr).toMatch(
      new RegExp(`^error: option '${option} <n>' argument '${quoted}' is invalid\\. [^\\n]*\\n$`),
    );
    expect(r.stdout).toBe('');
  });

  it.each([
    ['--port', '0x50'],
    ['--port', '8e3'],
    ['--speed', '1e1'],
    ['--speed', '.5'],
    ['--speed', '0x2'],
  ])('demo --serve %s %j is refused the same way', async (option, value) => {
    const r = await runCli(['demo', '--serve', option, value]);
    expect(r.exitCode).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/^error: option '--(port|speed) <[nx]>' argument '.*' is invalid\. [^\n]*\n$/);
  });

  it('plain decimals are taken: --seed 16 is seed 16, --seed 0 is seed 0', async () => {
    for (const seed of ['16', '0']) {
      expect(await parsesAs(['demo', '--seed', seed, '--jobs', '32'])).toEqual({ code: 0, stderr: '' });
    }
  });
});

describe('--format', () => {
  it('json carries schemaVersion and is what --json prints', async () => {
    const a = await runCli(['demo', '--format', 'json', '--jobs', '4']);
    const b = await runCli(['demo', '--json', '--jobs', '4']);
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout)).toMatchObject({ schemaVersion: 1, result: 'PASS' });
  });

  it('qmp prints the query-migrate reply of the main run, consistent with the JSON summary', async () => {
    const argv = ['demo', '--protocol', 'v2', '--jobs', '6', '--seed', '3'];
    const qmp = await runCli([...argv, '--format', 'qmp']);
    const json = JSON.parse((await runCli([...argv, '--json'])).stdout);
    expect(qmp.exitCode).toBe(0);
    const { return: info } = JSON.parse(qmp.stdout);
    expect(Object.keys(info)).toEqual([
      'status',
      'total-time',
      'downtime',
      'setup-time',
      'ram',
      'vfio',
      'x-vfio-sim',
    ]);
    expect(info.status).toBe('completed');
    const ramBytes = json.ram.precopyBytes + json.ram.stoppedBytes;
    expect(info.ram).toMatchObject({
      transferred: ramBytes + json.bytes.deviceState.stream,
      remaining: 0,
      total: 64 << 20,
      normal: ramBytes / 4096,
      'dirty-pages-rate': 0,
      'dirty-sync-count': json.ram.rounds.length,
      'precopy-bytes': json.ram.precopyBytes,
      'downtime-bytes': json.ram.stoppedBytes,
    });
    expect(info.ram.mbps).toBeGreaterThan(0);
    expect(info.vfio).toEqual({ transferred: json.bytes.deviceState.saved });
    expect(info['x-vfio-sim']).toMatchObject({
      'total-time-us': json.virtualTimeUs.total,
      'downtime-us': json.virtualTimeUs.downtime,
      'setup-time-us': json.virtualTimeUs.phases[0].us,
    });
    // whole milliseconds of a sub-millisecond migration, as QEMU's ms clock gives them
    for (const f of ['total-time', 'downtime', 'setup-time']) expect([0, 1]).toContain(info[f]);
  });
});

describe("'-' is standard output", () => {
  it('demo --trace - writes the trace on stdout and the summary on stderr', async () => {
    const plain = await runCli(['demo', '--jobs', '4']);
    const r = await runCli(['demo', '--jobs', '4', '--trace', '-']);
    expect(r.exitCode).toBe(0);
    const trace = JSON.parse(r.stdout);
    validateChromeTrace(trace);
    expect(trace.otherData).toMatchObject({ seed: 1, result: 'PASS' });
    expect(r.stderr).toBe(plain.stdout);
  });

  it('demo --report - writes the page on stdout; --json goes to stderr', async () => {
    const r = await runCli(['demo', '--jobs', '4', '--report', '-', '--json']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^<!doctype html>/);
    expect(r.stdout.trimEnd()).toMatch(/<\/html>$/);
    expect(JSON.parse(r.stderr.slice(0, r.stderr.lastIndexOf('}\n') + 2))).toMatchObject({ result: 'PASS' });
  });

  it('run --junit - writes the JUnit XML on stdout, the results on stderr', async () => {
    const dir = new URL('../../../../scenarios/ops-style', import.meta.url).pathname;
    const r = await runCli(['run', '--junit', '-', dir]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^<\?xml[^\n]*\n<testsuites name="vfio-sim scenarios" tests="3"/);
    expect(r.stderr).toMatch(/^PASS /m);
  });
});
