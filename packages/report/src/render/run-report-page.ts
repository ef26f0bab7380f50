import type { ChromeTrace } from '@vfio-sim/platform';
import type { ReportView } from '../model/report-model.js';
import { escapeHtml, jsonForScript } from './format.js';
import { RUN_TRACE_BUTTONS_SCRIPT, TRACE_BUTTONS_SCRIPT } from './page-script.js';
import { pageShell, sectionHtml, traceButtons } from './page-shell.js';
import { checkFormat } from './report-page.js';
import { reportSections } from './report-sections.js';

/** One migration on a run's page: its heading (the step that ran it) and its model. */
export interface RunReportMigration {
  /** E.g. `line 11: dma-fault on the source VF at setup`. */
  readonly heading: string;
  /** `buildReportModel`'s model; its `trace` is not needed (the scenario's is embedded once). */
  readonly model: ReportView;
}

/** One scenario of a run, with the migrations it ran. */
export interface RunReportScenario {
  /** The scenario's name. */
  readonly heading: string;
  /** Lines under it: its file, its result. */
  readonly description: readonly string[];
  /** The scenario's own verdict (its expectations, not only its migrations'). */
  readonly result: 'PASS' | 'FAIL';
  readonly migrations: readonly RunReportMigration[];
  /** The scenario's Perfetto trace (what its migrations' models were built from), embedded once. */
  readonly trace: ChromeTrace;
}

/** What {@link renderRunReportHtml} draws: a run of scenarios and every migration they ran. */
export interface RunReportInput {
  readonly title: string;
  readonly description: readonly string[];
  /** The scenarios that ran a migration, in run order. */
  readonly scenarios: readonly RunReportScenario[];
}

/** The id of the n-th migration's article on a run page (`m1`, `m2` …); its sections are `m1-ram` … */
export const migrationId = (n: number) => `m${n}`;

/**
 * A run of scenarios as one self-contained HTML page (`vfio-sim run --report`): a table of every
 * scenario and each of its migrations (verdict, protocol, outcome, downtime, linked), then per scenario
 * its trace buttons and, per migration, the sections of a migration's own report — the same charts,
 * drawn from one model per migration. Each model is embedded as JSON (`#vfio-sim-report-<n>`, n from 1
 * in page order) and each scenario's trace once (`#vfio-sim-trace-<n>`). No network is needed to read
 * it; same input, same page, byte for byte.
 * @throws KernelError EINVAL for a model of another format version.
 */
export function renderRunReportHtml(input: RunReportInput): string {
  const data: Record<string, string> = {};
  const parts: string[] = [toc(input.scenarios)];
  let n = 0;
  for (const [i, scenario] of input.scenarios.entries()) {
    const traceId = `vfio-sim-trace-${i + 1}`;
    data[traceId] = jsonForScript(scenario.trace);
    parts.push(
      `<section class="scenario" id="s${i + 1}"><h2>${escapeHtml(scenario.heading)} <span class="badge ${scenario.result.toLowerCase()}">${scenario.result}</span></h2>`,
      ...scenario.description.map((d) => `<p class="note">${escapeHtml(d)}</p>`),
      traceButtons(`data-trace-open="${traceId}"`, `data-trace-download="${traceId}"`),
    );
    for (const m of scenario.migrations) {
      n++;
      checkFormat(m.model);
      const id = migrationId(n);
      data[`vfio-sim-report-${n}`] = jsonForScript(withoutTrace(m.model));
      parts.push(
        `<article class="migration" id="${id}" data-migration="${n}"><h3>${escapeHtml(m.heading)}</h3>`,
        ...reportSections(m.model).map((s) => sectionHtml(s, `${id}-`, 4)),
        '</article>',
      );
    }
    parts.push('</section>');
  }
  return pageShell({
    title: input.title,
    description: input.description,
    main: parts.join('\n'),
    data,
    script: `${TRACE_BUTTONS_SCRIPT}\n${RUN_TRACE_BUTTONS_SCRIPT}\nwireTraces();`,
  });
}

/** The table at the top: each scenario's migrations with their verdict and downtime, linked. */
function toc(scenarios: readonly RunReportScenario[]): string {
  const td = (text: string | number, link?: string) => {
    const cell = escapeHtml(String(text));
    return `<td${typeof text === 'number' ? ' class="num"' : ''}>${link !== undefined ? `<a href="#${link}">${cell}</a>` : cell}</td>`;
  };
  const head = ['scenario', '#', 'migration', 'result', 'protocol', 'outcome', 'downtime µs'];
  const rows: string[] = [];
  let n = 0;
  for (const [i, s] of scenarios.entries())
    for (const m of s.migrations) {
      n++;
      const v = m.model;
      rows.push(
        `<tr>${td(s.heading, `s${i + 1}`)}${td(n, migrationId(n))}${td(m.heading)}${td(v.result)}` +
          `${td(v.protocol)}${td(v.outcome)}${td(v.downtime !== null ? v.downtime.us : '—')}</tr>`,
      );
    }
  return (
    `<section id="migrations"><h2>Migrations</h2><div class="body"><table class="migrations"><thead><tr>` +
    `${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div></section>`
  );
}

/** The model without a trace, whichever it was given. */
function withoutTrace(model: ReportView): ReportView {
  const { trace: _trace, ...view } = model as ReportView & { trace?: unknown };
  return view;
}
