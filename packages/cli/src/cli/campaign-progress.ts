import type { CampaignProgress } from '@vfio-sim/campaign';
import { Presets, SingleBar } from 'cli-progress';

/** How a campaign shows its progress on stderr. */
export interface ProgressView {
  update(p: CampaignProgress): void;
  /** The run ended: the bar is removed (a TTY) or nothing more is printed. */
  stop(): void;
}

/** `1h02m`, `3m05s`, `12s`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** One progress line: `campaign: 1200/10000 cases (12%), 95 cases/s, 0 failed, ETA 1m32s`. */
export function progressLine(p: CampaignProgress): string {
  const of =
    p.total !== null
      ? `${p.done}/${p.total} cases (${Math.floor((100 * p.done) / Math.max(1, p.total))}%)`
      : `${p.done} cases`;
  const eta = p.etaMs !== null ? `, ETA ${formatDuration(p.etaMs)}` : '';
  return `campaign: ${of}, ${p.casesPerSecond.toFixed(0)} cases/s, ${p.failed} failed${eta}\n`;
}

/**
 * On a terminal, a bar redrawn in place (cli-progress): cases done of the total (or time elapsed of
 * the time given), cases/s, failures so far, ETA. Piped, in CI or without a terminal: a plain line
 * every tenth of the way or every 10 s, whichever comes first — a log, not an animation.
 */
export function progressView(
  options: { readonly tty: NodeJS.WriteStream | undefined; readonly timeMs: number | undefined },
  write: (text: string) => void,
): ProgressView {
  const { tty, timeMs } = options;
  if (tty !== undefined) {
    const bar = new SingleBar(
      {
        stream: tty,
        format: '{bar} {percentage}% | {done} cases | {rate} cases/s | {failed} failed | ETA {etaText}',
        hideCursor: true,
        clearOnComplete: true,
        fps: 5,
      },
      Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const total = p.total ?? timeMs ?? 1;
        const value = p.total !== null ? p.done : Math.min(p.elapsedMs, total);
        const payload = {
          done: p.done,
          rate: p.casesPerSecond.toFixed(0),
          failed: p.failed,
          etaText: p.etaMs !== null ? formatDuration(p.etaMs) : '?',
        };
        if (!started) {
          bar.start(total, value, payload);
          started = true;
        } else bar.update(value, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let nextDone = 1;
  let nextAt = 10_000;
  return {
    update(p) {
      const step = p.total !== null ? Math.max(1, Math.ceil(p.total / 10)) : Number.POSITIVE_INFINITY;
      const last = p.total !== null && p.done === p.total;
      if (p.done >= nextDone || p.elapsedMs >= nextAt || last) {
        write(progressLine(p));
        while (nextDone <= p.done) nextDone += step;
        nextAt = p.elapsedMs + 10_000;
      }
    },
    stop() {},
  };
}
