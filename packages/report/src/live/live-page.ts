import { escapeHtml } from '../render/format.js';
import { LIVE_PAGE_SCRIPT, TRACE_BUTTONS_SCRIPT } from '../render/page-script.js';
import { pageShell, reportMain } from '../render/page-shell.js';
import { standingSections } from '../render/report-sections.js';
import { SPEED_CHOICES } from './playback.js';

/**
 * The live view's page: the report's sections, empty until the first frame, a speed control (×, the
 * server's speed selected) and a status line; its script plays the run from the server's events.
 * Self-contained like the report: no network but the server it came from.
 */
export function livePageHtml(title: string, speed: number): string {
  const speeds = [...new Set([...SPEED_CHOICES, speed])].sort((a, b) => a - b);
  const options = speeds
    .map((s) => `<option value="${s}"${s === speed ? ' selected' : ''}>×${s}</option>`)
    .join('');
  return pageShell({
    title,
    description: [
      'Live view: the run plays in virtual time, paced for the eye; the page ends on its verdict.',
    ],
    controls:
      `<p class="controls"><label for="speed">speed</label> <select id="speed">${options}</select> ` +
      `<span id="status" role="status">connecting…</span></p>`,
    main: reportMain(
      standingSections().map((s) => ({
        ...s,
        html: `<p class="note">${escapeHtml(s.id === 'verdict' ? 'waiting for the run…' : 'waiting…')}</p>`,
      })),
      'The same run as a Chrome Trace Event / Perfetto JSON arrives with the last frame: then download it or open it in ui.perfetto.dev.',
    ),
    data: { 'vfio-sim-trace': '' },
    script: `${TRACE_BUTTONS_SCRIPT}\n${LIVE_PAGE_SCRIPT}\nlivePage();`,
  });
}
