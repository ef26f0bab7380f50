/**
 * The page's stylesheet, inlined: light and dark (prefers-color-scheme) from one set of custom
 * properties, the charts scaled to the column, and a print layout (light, no controls, no section
 * split across pages).
 */
export const PAGE_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --card: #f6f8fa; --border: #d1d9e0;
  --pass: #1a7f37; --fail: #cf222e; --run: #7c8594; --accent: #1d6fb8;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --card: #151b23; --border: #3d444d;
    --pass: #2ea043; --fail: #da3633; --run: #6e7681; --accent: #4493f8;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
header, main, footer { max-width: 1080px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 18px; }
h1 { font-size: 1.35rem; margin: 0 0 6px; }
h2 { font-size: 1.1rem; margin: 26px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--border); }
header p { margin: 2px 0; color: var(--muted); }
p.note { color: var(--muted); margin: 4px 0; }
.verdict { display: flex; align-items: center; gap: 12px; padding: 12px 14px; margin-top: 14px; border-radius: 8px; background: var(--card); border: 1px solid var(--border); }
.verdict .badge { font-weight: 700; font-size: 1.2rem; padding: 2px 12px; border-radius: 6px; color: #fff; background: var(--run); }
.verdict.pass .badge { background: var(--pass); }
.verdict.fail .badge { background: var(--fail); }
ul.failures { color: var(--fail); margin: 6px 0 0 18px; }
dl.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 8px; margin: 0; }
dl.figures div { background: var(--card); border: 1px solid var(--border); border-radius: 6px; padding: 6px 10px; }
dl.figures dt { color: var(--muted); font-size: 0.8rem; }
dl.figures dd { margin: 0; font-weight: 600; }
.chart { margin: 8px 0; overflow-x: auto; }
.chart svg { max-width: 100%; height: auto; }
svg[class^="plot-"] { --plot-background: var(--bg); background: transparent; }
table { border-collapse: collapse; margin: 8px 0; font-size: 0.86rem; }
th, td { border-bottom: 1px solid var(--border); padding: 3px 10px; text-align: left; white-space: pre; }
th { color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.losses td { white-space: normal; }
p.error { color: var(--fail); }
button, select { font: inherit; padding: 4px 12px; border-radius: 6px; border: 1px solid var(--border); background: var(--card); color: var(--fg); cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
.controls { display: flex; align-items: center; gap: 10px; margin: 10px 0; }
footer { color: var(--muted); font-size: 0.8rem; padding-top: 24px; padding-bottom: 24px; }
section.scenario { margin-top: 34px; }
section.scenario > h2 { font-size: 1.25rem; display: flex; align-items: center; gap: 10px; }
h2 .badge { font-size: 0.85rem; padding: 1px 10px; border-radius: 6px; color: #fff; background: var(--run); }
h2 .badge.pass { background: var(--pass); }
h2 .badge.fail { background: var(--fail); }
article.migration { margin: 18px 0 30px; padding: 4px 0 0 14px; border-left: 3px solid var(--border); }
article.migration h3 { font-size: 1.1rem; margin: 10px 0 4px; }
article.migration h4 { font-size: 1rem; margin: 18px 0 6px; padding-bottom: 3px; border-bottom: 1px solid var(--border); }
table.migrations td { white-space: normal; }
@media print {
  :root { color-scheme: light; --bg: #fff; --fg: #000; --muted: #444; --card: #fff; --border: #999; }
  body { font-size: 11px; }
  .controls, #trace button { display: none; }
  article.migration { break-before: page; }
  section, .chart, table { break-inside: avoid; }
  h2 { break-after: avoid; }
}
`;
