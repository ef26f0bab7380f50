import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The built bin, as `npx vfio-sim` runs it (turbo builds the package before its tests). */
const BIN = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const OPS_STYLE = fileURLToPath(new URL('../../../../scenarios/ops-style', import.meta.url));

/** Run a shell command line (bash) with `$CLI` standing for `node <the built bin>`. */
function sh(script: string): { status: number | null; stdout: string; stderr: string } {
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const r = spawnSync('bash', ['-c', script.replaceAll('$CLI', '"$NODE" "$BIN"')], {
    encoding: 'utf8',
    env: { ...env, NODE: process.execPath, BIN },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One `error: …` line and nothing else: no stack trace (`    at …`), no second line. */
const ONE_LINE = /^error: [^\n]+\n$/;

describe.skipIf(!existsSync('/dev/full'))('the built vfio-sim as a process: output errors', () => {
  it('the bin is there (pnpm build)', () => {
    expect(existsSync(BIN), `${BIN}: build the package first`).toBe(true);
  });

  it('EPIPE: a reader that closes the pipe early (| head -c 1) ends it with one line and status 2', () => {
    // the trace is megabytes: far more than the pipe holds once head has read its byte and gone
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, not a template
    const piped = sh('$CLI demo --jobs 2 --trace - | head -c 1 >/dev/null; echo "${PIPESTATUS[0]}"');
    const [status, ...rest] = piped.stdout.split('\n');
    expect(status).toBe('2');
    expect(rest.join('\n')).toBe('');
    // the summary (on stderr, since stdout holds the trace), then the one line
    const lines = piped.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^vfio-sim demo \(seed 1\)/);
    expect(`${lines[lines.length - 1]}\n`).toMatch(
      /^error: cannot write to stdout \(EPIPE\): the reading end of the pipe was closed\n$/,
    );
    expect(piped.stderr).not.toMatch(/\n\s+at /);
  });

  it('ENOSPC: a trace file on a full device (--trace /dev/full) is one line and status 2', () => {
    const r = sh('$CLI demo --jobs 2 --trace /dev/full >/dev/null');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE);
    expect(r.stderr).toBe(
      "error: cannot write the trace file '/dev/full' (ENOSPC): no space left on device\n",
    );
  });

  it('ENOSPC: stdout on a full device (> /dev/full) is one line and status 2', () => {
    for (const args of ['demo --jobs 2', 'demo --jobs 2 --trace -', `run ${OPS_STYLE} --json`]) {
      const r = sh(`$CLI ${args} >/dev/full`);
      expect(r.status, args).toBe(2);
      expect(
        r.stderr.endsWith('error: cannot write to stdout (ENOSPC): no space left on device\n'),
        args,
      ).toBe(true);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
