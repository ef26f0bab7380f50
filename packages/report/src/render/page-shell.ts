import { escapeHtml } from './format.js';
import { PAGE_STYLE } from './page-style.js';
import type { ReportSection } from './report-sections.js';

/** What a page of the report is made of. */
export interface PageParts {
  readonly title: string;
  readonly description: readonly string[];
  readonly sections: readonly ReportSection[];
  /** HTML between the header and the sections (the live view's controls). */
  readonly controls?: string;
  /** The trace section's words. */
  readonly traceNote: string;
  /** `<script type="application/json">` data blocks by element id (already escaped for a script). */
  readonly data: Readonly<Record<string, string>>;
  /** The inline script (plain JavaScript). */
  readonly script: string;
}

/** A section's markup: the verdict has no heading; every other has an h2 and a body the live view replaces. */
export function sectionHtml(s: ReportSection): string {
  const heading = s.id === 'verdict' ? '' : `<h2>${escapeHtml(s.heading)}</h2>`;
  return `<section id="${s.id}">${heading}<div class="body">${s.html}</div></section>`;
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
${parts.sections.map(sectionHtml).join('\n')}
<section id="trace"><h2>The trace of this run</h2><div class="body">
<p>${escapeHtml(parts.traceNote)}</p>
<p class="controls"><button type="button" id="trace-open">Open in ui.perfetto.dev</button> <button type="button" id="trace-download">Download the trace (JSON)</button></p>
</div></section>
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
