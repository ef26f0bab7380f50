import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateChromeTrace } from '@vfio-sim/platform';
import { describe, expect, it } from 'vitest';
import { runCli } from './__fixtures__/run-cli.js';

const LIBRARY = fileURLToPath(new URL('../../../../scenarios', import.meta.url));

/** Run the CLI with captured output and the exit status the entry point would set. */
const cli = (...argv: string[]) => runCli(argv);

/** A copy of a library scenario in a fresh directory. */
function copyOf(name: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'vfio-sim-run-')), 'copy.yaml');
  copyFileSync(join(LIBRARY, name), file);
  return file;
}

describe('vfio-sim run', () => {
  it('runs a directory of scenarios and exits 0 when every expectation holds', async () => {
    const r = await cli('run', join(LIBRARY, 'v2-arcs'));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^PASS .*running-precopy-stopcopy-stop\.yaml — /m);
    expect(r.stdout).toMatch(/^\d+ scenarios: (\d+) passed, 0 failed, 0 invalid; \d+ steps in [\d.]+ s$/m);
  });

  it('a flipped expectation exits 1 and prints the step’s file:line with want and got', async () => {
    const file = copyOf('bar2/region-info.yaml');
    const text = readFileSync(file, 'utf8').replace(
      'expect: { size: 0x8000, flags',
      'expect: { size: 0x10000, flags',
    );
    writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('size: 0x10000')); // the step is the line above
    const r = await cli('run', file);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`FAIL ${file}:${line} — `);
    expect(r.stdout).toContain(`  ${file}:${line}: region-info: size: want 0x10000, got 0x8000\n`);
  });

  it('an invalid file exits 2 with file:line:column: field: message and no stack trace', async () => {
    const file = copyOf('bar2/region-info.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('region-info: bar2', 'region-info: bar9'));
    const r = await cli('run', file);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(
      new RegExp(`^  ${file}:\\d+:\\d+: steps\\[1\\]\\.region-info: expected .*; got "bar9"$`, 'm'),
    );
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  it('usage errors exit 2: no path, an unknown option, an unwritable report', async () => {
    expect((await cli('run')).exitCode).toBe(2);
    expect((await cli('run', '--bogus', LIBRARY)).exitCode).toBe(2);
    const r = await cli('run', '--junit', '/nonexistent/dir/out.xml', LIBRARY);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^error: cannot write the JUnit report '\/nonexistent\/dir\/out\.xml' \(ENOENT\)/,
    );
  });

  it('--json prints the summary; --junit and --trace write their files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfio-sim-run-'));
    const junit = join(dir, 'out.xml');
    const trace = join(dir, 'trace.json');
    const r = await cli('run', '--json', '--junit', junit, '--trace', trace, join(LIBRARY, 'ops-style'));
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ exitCode: 0, scenarios: 3, passed: 3 });
    expect(readFileSync(junit, 'utf8')).toMatch(
      /<testsuites name="vfio-sim scenarios" tests="3" failures="0" errors="0"/,
    );
    const chrome = JSON.parse(readFileSync(trace, 'utf8'));
    validateChromeTrace(chrome);
    const processes = new Set(
      chrome.traceEvents
        .filter((e: { name: string }) => e.name === 'process_name')
        .map((e: { args: { name: string } }) => e.args.name),
    );
    expect([...processes].some((p) => /explicit\.yaml: scenario$/.test(p as string))).toBe(true);
    expect(r.stderr).toMatch(/^trace: \d+ events written to /);
  });
});

describe('vfio-sim check', () => {
  it('validates without running: 0 for valid files, 2 with one line per error', async () => {
    const ok = await cli('check', join(LIBRARY, 'v1-region'));
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/^\d+ scenario files: \d+ valid, 0 invalid \(\d+ steps\)\n$/);
    const file = copyOf('v1-region/region-info.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('  - open: { host: source }', '  - open: { host: nowhere }'),
    );
    const bad = await cli('check', file);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe(`${file}:7:19: steps[0].open.host: no host "nowhere" (hosts: source)\n`);
  });
});
