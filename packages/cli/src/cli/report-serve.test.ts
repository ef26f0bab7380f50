import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportModel } from '@vfio-sim/report';
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import type { DemoReport } from '../demo/demo.js';
import { runCli } from './__fixtures__/run-cli.js';

/** The model a report page embeds. */
function embeddedModel(file: string): Omit<ReportModel, 'trace'> {
  const { document } = parseHTML(readFileSync(file, 'utf8'));
  return JSON.parse(document.getElementById('vfio-sim-report')?.textContent ?? '');
}

/** A TCP server holding a port of 127.0.0.1, for the "port in use" case. */
function occupy(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

describe('vfio-sim demo --report', () => {
  it('writes one HTML page whose model is the run the JSON summary describes; the summary is unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfio-sim-report-'));
    const file = join(dir, 'out.html');
    const argv = ['demo', '--json', '--protocol', 'v2', '--jobs', '6', '--seed', '2'];
    const withReport = await runCli([...argv, '--report', file]);
    const plain = await runCli(argv);
    expect(withReport.exitCode).toBe(0);
    expect(withReport.exitCode).toBe(0);
    expect(withReport.stdout).toBe(plain.stdout);
    expect(withReport.stderr).toMatch(/^report: \d+ KiB written to .*out\.html \(open it in a browser\)\n$/);
    const summary = JSON.parse(plain.stdout) as DemoReport;
    const m = embeddedModel(file);
    expect(m).toMatchObject({
      result: 'PASS',
      protocol: 'v2',
      title: expect.stringContaining('vfio-sim demo (seed 2)'),
    });
    expect(m.ram?.rounds).toEqual(summary.ram.rounds);
    expect(m.downtime?.us).toBe(summary.virtualTimeUs.downtime);
    expect(m.runs.map((r) => r.downtimeUs)).toEqual([
      summary.virtualTimeUs.downtime,
      summary.comparison.downtimeUs,
      summary.otherProtocol.downtimeUs,
    ]);
    expect(m.jobs).toMatchObject({
      submitted: summary.jobs.submitted,
      verified: summary.jobs.verified,
      inFlightAtStop: summary.jobs.inFlightAtStop,
      completedOnDestination: summary.jobs.completedOnDestination,
    });
    expect(m.stream.devices[0]).toMatchObject({ sourceStates: summary.states.source });
    // same seed, same page
    const again = join(dir, 'again.html');
    await runCli([...argv, '--report', again]);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(file, 'utf8'));
  });

  it('a report path that cannot be written: one line, exit 2, no run', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vfio-sim-report-')), 'missing', 'out.html');
    const r = await runCli(['demo', '--report', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: cannot write the report file '.*out\.html' \(ENOENT\): [^\n]*\n$/);
    expect(r.stdout).toBe('');
    expect(existsSync(file)).toBe(false);
  });
});

describe('vfio-sim demo --serve', () => {
  it('a port in use: one line, exit 2, no run, and the port’s owner is left alone', async () => {
    const holder = await occupy();
    const port = (holder.address() as { port: number }).port;
    try {
      const r = await runCli(['demo', '--serve', '--port', String(port)]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toBe(
        `error: cannot serve the live view on 127.0.0.1:${port}: the port is in use (EADDRINUSE)\n`,
      );
      expect(r.stdout).toBe('');
      expect(holder.listening).toBe(true);
    } finally {
      holder.close();
    }
  });

  it('serves on 127.0.0.1, plays the run to its verdict, and stops cleanly when interrupted', async () => {
    let url = '';
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = runCli(['demo', '--serve', '--port', '0', '--speed', '10000', '--jobs', '4'], {
      interrupted: () => stopped,
      onStderr: (t) => {
        url = /^live view: (\S+)/.exec(t)?.[1] ?? url;
      },
    });
    while (url === '') await new Promise((r) => setTimeout(r, 20));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const events = await (await fetch(`${url}events`)).text();
    expect(events).toMatch(/^event: frame$/m);
    expect(events).toMatch(/^event: end\ndata: \{"result":"PASS"/m);
    stop();
    const r = await running;
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('PASS: every job');
    expect(r.stderr).toMatch(/live view stopped\n$/);
    await expect(fetch(url)).rejects.toThrow();
  });

  it.each([
    [['demo', '--port', '8080'], /--port, --host and --speed go with --serve/],
    [['demo', '--serve', '--port', '70000'], /--port <n>.*a port is a decimal integer in \[0, 65535\]/],
    [
      ['demo', '--serve', '--speed', '0'],
      /--speed <x>.*a speed is a decimal number in \[0\.01, 10000\]: 0 is not in/,
    ],
    [['demo', '--serve', '--speed', '1e1'], /--speed <x>.*'1e1' is not written as a decimal number/],
  ])('rejects %j with a clear error', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(r.exitCode).toBe(2);
  });
});
