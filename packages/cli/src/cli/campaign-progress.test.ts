import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDuration, progressLine, progressView } from './campaign-progress.js';

const at = (done: number, total: number | null, elapsedMs = 1000) => ({
  done,
  total,
  failed: done > 5 ? 1 : 0,
  elapsedMs,
  casesPerSecond: done / (elapsedMs / 1000),
  etaMs: total === null ? null : ((total - done) * elapsedMs) / Math.max(1, done),
});

describe('campaign progress', () => {
  it('lines: cases, percent, rate, failures, ETA', () => {
    expect(progressLine(at(12, 100, 2000))).toBe(
      'campaign: 12/100 cases (12%), 6 cases/s, 1 failed, ETA 15s\n',
    );
    expect(progressLine(at(3, null))).toBe('campaign: 3 cases, 3 cases/s, 0 failed\n');
    expect([0, 59_000, 61_000, 3_720_000].map(formatDuration)).toEqual(['0s', '59s', '1m01s', '1h02m']);
  });

  it('piped: a line at the first case, then every tenth of the way (or 10 s), not per case', () => {
    const lines: string[] = [];
    const view = progressView({ tty: undefined, timeMs: undefined }, (t) => lines.push(t));
    for (let done = 1; done <= 100; done++) view.update(at(done, 100));
    view.stop();
    expect(lines).toHaveLength(11);
    expect(lines.at(-1)).toMatch(/^campaign: 100\/100 cases \(100%\)/);
    const timed: string[] = [];
    const byTime = progressView({ tty: undefined, timeMs: 60_000 }, (t) => timed.push(t));
    for (let s = 1; s <= 60; s++) byTime.update(at(s * 10, null, s * 1000));
    expect(timed).toHaveLength(6);
  });

  it('on a terminal: a bar redrawn in place (cli-progress) with cases/s, failures and ETA, cleared at the end', () => {
    let written = '';
    const tty = Object.assign(
      new Writable({
        write(chunk, _enc, done) {
          written += String(chunk);
          done();
        },
      }),
      { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
    ) as unknown as NodeJS.WriteStream;
    const view = progressView({ tty, timeMs: undefined }, () => {
      throw new Error('no lines on a terminal');
    });
    view.update(at(40, 100));
    view.update(at(100, 100));
    view.stop();
    expect(written).toMatch(/100 cases \| 100 cases\/s \| 1 failed \| ETA 0s/);
    expect(written).toContain('░');
  });
});
