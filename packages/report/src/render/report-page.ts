import { KernelError } from '@vfio-sim/platform';
import { REPORT_MODEL_FORMAT, type ReportModel, type ReportView } from '../model/report-model.js';
import { jsonForScript } from './format.js';
import { TRACE_BUTTONS_SCRIPT } from './page-script.js';
import { pageShell, reportMain } from './page-shell.js';
import { reportSections } from './report-sections.js';

/**
 * The report as one self-contained HTML file: the sections of {@link reportSections} (charts by
 * Observable Plot, rendered to inline SVG), the model as JSON (`#vfio-sim-report`, without the trace)
 * and the run's Perfetto trace (`#vfio-sim-trace`) with buttons to download it or open it in
 * ui.perfetto.dev. No network is needed to read it. A pure function: the same model gives the same
 * page, byte for byte.
 * @throws KernelError EINVAL for a model of another format version.
 */
export function renderReportHtml(model: ReportModel): string {
  checkFormat(model);
  const { trace, ...data } = model;
  return pageShell({
    title: model.title,
    description: model.description,
    main: reportMain(reportSections(model), traceNote(trace.traceEvents.length)),
    data: { 'vfio-sim-report': jsonForScript(data), 'vfio-sim-trace': jsonForScript(trace) },
    script: `${TRACE_BUTTONS_SCRIPT}\nwireTrace();`,
  });
}

/** What the trace section says about the embedded trace. */
export function traceNote(events: number): string {
  return (
    `The same run as a Chrome Trace Event / Perfetto JSON (${events} events: every mailbox, doorbell, job, ` +
    `device-state read and phase, in µs of virtual time) is embedded in this page. Reading the page needs no ` +
    `network; opening Perfetto does.`
  );
}

/** @throws KernelError EINVAL for a model of another format version than this renderer's. */
export function checkFormat(model: ReportView): void {
  if (model.format !== REPORT_MODEL_FORMAT)
    throw new KernelError(
      'EINVAL',
      `report model format '${String(model.format)}', expected '${REPORT_MODEL_FORMAT}'`,
    );
}
