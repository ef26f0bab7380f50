import { escapeHtml } from './format.js';
import { PAGE_STYLE } from './page-style.js';
import type { ReportSection } from './report-sections.js';

/** What a page of the report is made of. */
export interface PageParts {
  readonly title: string;
  readonly description: readonly string[];
  /** HTML between the header and the main content (the live view's controls). */
  readonly controls?: string;
  /** The page's main content: one report's sections and its trace ({@link reportMain}), or a run's. */
  readonly main: string;
  /** `<script type="application/json">` data blocks by element id (already escaped for a script). */
  readonly data: Readonly<Record<string, string>>;
  /** The inline script (plain JavaScript). */
  readonly script: string;
}

/**
 * A section's markup: the verdict has no heading; every other has a heading (h2 on a report's own page)
 * and a body the live view replaces. On a page of several migrations each section's id is prefixed
 * (`m3-ram`) and `data-section` keeps its own name.
 */
export function sectionHtml(s: ReportSection, idPrefix = '', level = 2): string {
  const heading = s.id === 'verdict' ? '' : `<h${level}>${escapeHtml(s.heading)}</h${level}>`;
  const id = idPrefix === '' ? `id="${s.id}"` : `id="${idPrefix}${s.id}" data-section="${s.id}"`;
  return `<section ${id}>${heading}<div class="body">${s.html}</div></section>`;
}

/** One report's main content: its sections, then the trace section with the page's two trace buttons. */
export function reportMain(sections: readonly ReportSection[], traceNote: string): string {
  return `${sections.map((s) => sectionHtml(s)).join('\n')}
<section id="trace"><h2>The trace of this run</h2><div class="body">
<p>${escapeHtml(traceNote)}</p>
${traceButtons('id="trace-open"', 'id="trace-download"')}
</div></section>`;
}

/** The two trace buttons, with the attributes that name them (ids, or data- attributes on a run page). */
export function traceButtons(openAttrs: string, downloadAttrs: string): string {
  return `<p class="controls"><button type="button" ${openAttrs}>Open in ui.perfetto.dev</button> <button type="button" ${downloadAttrs}>Download the trace (JSON)</button></p>`;
}

/**
 * One self-contained HTML page: the stylesheet, the charts (inline SVG), the data and the script all
 * inline, nothing fetched. Light and dark follow the reader's `prefers-color-scheme`; it prints.
 */
export function pageShell(parts: PageParts): string {
  const data = Object.entries(parts.data)
    .map(([id, json]) => `<script type="application/json" id="${id}">${json}</script>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(parts.title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(parts.title)}</h1>
${parts.description.map((d) => `<p>${escapeHtml(d)}</p>`).join('\n')}
${parts.controls ?? ''}
</header>
<main>
${parts.main}
</main>
<footer>vfio-sim · virtual time in µs · same seed, same page</footer>
${data}
<script>
${parts.script}
</script>
</body>
</html>
`;
}
