import type { ReportView } from '../model/report-model.js';
import { downtimeChart } from './charts/downtime-chart.js';
import { jobsChart } from './charts/jobs-chart.js';
import { ramConvergenceChart, ramRoundsChart, roundLabel } from './charts/ram-rounds-chart.js';
import { streamChart } from './charts/stream-chart.js';
import { timelineChart } from './charts/timeline-chart.js';
import { escapeHtml, formatBytes, htmlTable } from './format.js';

/** One section of the page: its element id, its heading and its inner HTML. */
export interface ReportSection {
  readonly id: string;
  readonly heading: string;
  readonly html: string;
}

const p = (text: string) => `<p>${escapeHtml(text)}</p>`;
const note = (text: string) => `<p class="note">${escapeHtml(text)}</p>`;
const chart = (svg: string, label: string) =>
  `<div class="chart" role="img" aria-label="${escapeHtml(label)}">${svg}</div>`;

/**
 * The page's sections, rendered from the model: the verdict with the proof, the key figures, the
 * timeline of both hosts, the RAM rounds, the downtime comparison, the device-state stream, the jobs,
 * the faults (when there were any) and the trace. The static report and the live view show the same
 * sections; the live view replaces each one's HTML as the run plays (a model cut by `reportAt`), with
 * the whole run as `layout`: the charts keep the whole run's rows, rounds and sections, so they fill
 * in as it plays instead of changing shape.
 */
export function reportSections(model: ReportView, layout: ReportView = model): ReportSection[] {
  return SECTIONS.filter((s) => s.shown?.(model) ?? true).map((s) => ({
    id: s.id,
    heading: s.heading,
    html: s.render(model, layout),
  }));
}

/** The page's sections in order: id, heading, renderer, and when it is shown (default always). */
const SECTIONS: readonly {
  readonly id: string;
  readonly heading: string;
  readonly render: (m: ReportView, layout: ReportView) => string;
  readonly shown?: (m: ReportView) => boolean;
}[] = [
  { id: 'verdict', heading: 'Result', render: verdictHtml },
  { id: 'summary', heading: 'Key figures', render: summaryHtml },
  { id: 'timeline', heading: 'Both hosts over virtual time', render: timelineHtml },
  { id: 'ram', heading: 'Guest RAM pre-copy rounds', render: ramHtml },
  { id: 'downtime', heading: 'Downtime against the other runs', render: downtimeHtml },
  { id: 'stream', heading: 'The device-state stream', render: streamHtml },
  { id: 'jobs', heading: 'The guest’s jobs', render: jobsHtml },
  {
    id: 'faults',
    heading: 'Faults and errors',
    render: faultsHtml,
    shown: (m) => m.faults.length > 0 || m.error !== null,
  },
];

/** The sections every page has (the live view lays them out before its first frame), with their headings. */
export function standingSections(): { id: string; heading: string }[] {
  return SECTIONS.filter((s) => s.shown === undefined).map((s) => ({ id: s.id, heading: s.heading }));
}

/** The phase running at the model's cut (live view), or null. */
function phaseAt(model: ReportView): string | null {
  const at = model.at;
  if (at === null) return null;
  const phase = model.intervals.find((i) => i.kind === 'phase' && i.startUs <= at && i.endUs >= at);
  if (phase !== undefined) return phase.label;
  return at < model.migration.startUs ? 'before the migration' : 'after the migration';
}

function verdictHtml(m: ReportView): string {
  if (m.at !== null)
    return (
      `<div class="verdict running" data-result="RUNNING"><span class="badge">RUNNING</span> ` +
      `<span class="now">t = ${m.at} µs of ${m.span.endUs} µs · ${escapeHtml(phaseAt(m) ?? '')}</span></div>`
    );
  return (
    `<div class="verdict ${m.result === 'PASS' ? 'pass' : 'fail'}" data-result="${m.result}">` +
    `<span class="badge">${m.result}</span> <span class="proof">${escapeHtml(m.proof.statement)}</span></div>` +
    (m.failures.length > 0
      ? `<ul class="failures">${m.failures.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>`
      : '')
  );
}

function summaryHtml(m: ReportView): string {
  const j = m.jobs;
  const rounds = m.ram?.rounds.filter((r) => !r.stopped).length ?? 0;
  const items: [string, string][] = [
    ['protocol', m.protocol === 'v1' ? 'v1 (migration region)' : 'v2 (state machine, data fds)'],
    ['hosts', `${m.hosts.source} → ${m.hosts.destination}`],
    m.at !== null ? ['now', phaseAt(m) ?? ''] : ['outcome', m.outcome],
    ['downtime', m.downtime !== null ? `${m.downtime.us} µs` : '—'],
    [
      'migration',
      `${m.migration.startUs}–${m.migration.endUs} µs (${m.migration.endUs - m.migration.startUs} µs)`,
    ],
    [
      'RAM',
      m.ram === null
        ? '—'
        : m.ram.mode === 'precopy'
          ? `${rounds} pre-copy round(s) + final`
          : 'copied whole while stopped',
    ],
    [
      'RAM check',
      m.at !== null || m.proof.ramPagesCompared === null
        ? '—'
        : `${m.proof.ramPagesCompared} pages, ${m.proof.ramIdentical === true ? 'identical' : 'different'}`,
    ],
    [
      'jobs',
      m.at !== null
        ? `${j.submitted} submitted so far`
        : `${j.verified} / ${j.submitted} verified exactly once`,
    ],
  ];
  return `<dl class="figures">${items.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>`;
}

function timelineHtml(m: ReportView): string {
  return (
    p(
      `Each lane is one host's VM, the source QEMU's migration phases and RAM rounds, or one device's migration state ` +
        `(read back after every client step); the shaded band is the downtime. The chart starts just before the ` +
        `migration (${m.migration.startUs} µs); the guest ran on the source from 0 µs. Hover a bar for details.`,
    ) + chart(timelineChart(m), 'timeline of both hosts')
  );
}

function ramHtml(m: ReportView, layout: ReportView): string {
  const ram = m.ram;
  if (ram === null) return p(m.at !== null ? 'Not yet.' : 'The migration aborted before guest RAM moved.');
  if (ram.mode !== 'precopy')
    return p(
      `Guest RAM was copied whole while the VM was stopped: ${formatBytes(ram.stoppedBytes)}, no pre-copy rounds.`,
    );
  if (ram.rounds.length === 0) return p('No round has ended yet.');
  const rows = ram.rounds.map((r) => [
    roundLabel(r),
    r.stopped ? 'stopped' : 'running',
    r.pagesSent,
    r.cpuDirtyPages,
    r.dmaDirtyPages,
    r.bothDirtyPages,
    r.remainingPages,
    r.expectedDowntimeUs,
    r.startUs,
    r.durationUs,
  ]);
  return (
    p(
      `Pages sent per round, and what the dirty sync after it found: CPU-dirty (the KVM-style log of the vCPUs' stores), ` +
        `DMA-dirty (the ${ram.iommuFormat} IOMMU's dirty bits, read by GET_DIRTY_BITMAP), in both, and left to send.`,
    ) +
    chart(ramRoundsChart(ram, layout.ram?.rounds ?? ram.rounds), 'RAM rounds') +
    chart(
      ramConvergenceChart(ram, layout.ram?.rounds ?? ram.rounds),
      'expected downtime per round against the limit',
    ) +
    (m.at === null
      ? note(
          `${ram.converged ? 'Converged' : 'Did not converge'}: expected downtime ≤ ${ram.downtimeLimitUs} µs ` +
            `${ram.converged ? 'after' : 'not reached in'} ${ram.rounds.filter((r) => !r.stopped).length} round(s) (limit ${ram.maxRounds}); ` +
            `${formatBytes(ram.precopyBytes)} sent while running, ${formatBytes(ram.stoppedBytes)} while stopped.`,
        )
      : '') +
    htmlTable(
      ['round', 'VM', 'sent', 'CPU-dirty', 'DMA-dirty', 'both', 'left', 'expected µs', 'at µs', 'took µs'],
      rows,
      'rounds',
    )
  );
}

function downtimeHtml(m: ReportView): string {
  if (m.runs.length === 0) return p('Shown when the run has ended.');
  const me = m.runs.find((r) => r.thisRun);
  const lines = m.runs
    .filter((r) => !r.thisRun && r.downtimeUs !== null && me?.downtimeUs != null)
    .map(
      (r) =>
        `${r.label}: ${r.downtimeUs} µs → this run's is ${((me?.downtimeUs ?? 0) / (r.downtimeUs || 1)).toFixed(2)}× of it`,
    );
  return (
    p(
      'The same guest and seed, migrated three ways; each bar is stacked by the phases inside the downtime.',
    ) +
    chart(downtimeChart(m.runs), 'downtime against the other runs') +
    lines.map(note).join('')
  );
}

function streamHtml(m: ReportView, layout: ReportView): string {
  const s = m.stream;
  const total = s.sections.reduce((n, x) => n + x.sectionBytes, 0);
  const data = s.sections.reduce((n, x) => n + x.deviceBytes, 0);
  const devices =
    s.devices.length > 0
      ? htmlTable(
          [
            'device',
            'model',
            'saved',
            'loaded',
            'on the stream',
            'pre-copy iterations',
            'source states',
            'destination states',
          ],
          s.devices.map((d) => [
            d.source === d.destination ? d.source : `${d.source} → ${d.destination}`,
            d.model,
            d.deviceBytesSaved,
            d.deviceBytesLoaded,
            d.streamBytes,
            d.precopyIterations,
            d.sourceStates.join(' → '),
            d.destinationStates.join(' → '),
          ]),
        )
      : '';
  if (s.sections.length === 0) return p(m.at !== null ? 'No section yet.' : 'No section went out.') + devices;
  return (
    p(
      `${s.sections.length} vfio section(s), ${formatBytes(total)} on the stream: ${formatBytes(data)} of device state ` +
        `and ${formatBytes(total - data)} of QEMU's framing.`,
    ) +
    chart(streamChart(s.sections, layout.stream.sections), 'device-state stream sections') +
    devices
  );
}

function jobsHtml(m: ReportView, layout: ReportView): string {
  const j = m.jobs;
  const rows: [string, string | number][] = [
    ['submitted', j.submitted],
    ['  on the source', j.submittedOnSource],
    ...(m.at === null
      ? ([['    while the migration ran', j.submittedDuringMigration]] as [string, number][])
      : []),
    ['  on the destination', j.submittedOnDestination],
    ['in flight at the stop', j.inFlightAtStop ?? '—'],
    ['completed on the source', j.completedOnSource],
    ['completed on the destination', j.completedOnDestination],
    ...(m.at === null
      ? ([['verified exactly once', `${j.verified} / ${j.submitted}`]] as [string, string][])
      : []),
  ];
  const losses =
    j.losses.length > 0
      ? htmlTable(
          ['job', 'what', 'cause'],
          j.losses.map((l) => [l.jobId, l.kind, l.cause]),
          'losses',
        )
      : m.at === null
        ? note('No job lost, duplicated or wrong.')
        : '';
  return (
    p(
      `Every job from its submission to its completion, one row each in submission order (the whole run, from 0 µs); ` +
        `the colour says where it completed, an outline marks the jobs in flight when the source vCPUs stopped.`,
    ) +
    chart(jobsChart(m, layout.jobs.spans), 'every job from submission to completion') +
    htmlTable(['jobs', ''], rows, 'jobs') +
    losses
  );
}

function faultsHtml(m: ReportView): string {
  const faults = htmlTable(
    ['fault', 'where', 'armed in', 'injected µs', 'cleared µs'],
    m.faults.map((f) => [
      f.kind,
      `${f.side} ${f.target.toUpperCase()} ${f.function}`,
      f.phase,
      f.injectedUs,
      f.clearedUs ?? '—',
    ]),
  );
  const e = m.error;
  return (
    (m.faults.length > 0 ? faults : '') +
    (e !== null
      ? `<p class="error"><strong>${escapeHtml(e.errno)}</strong> at ${e.atUs} µs in ${escapeHtml(e.phase)}: ${escapeHtml(e.message)}</p>`
      : '')
  );
}
