/** Escape text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * JSON to embed in a `<script type="application/json">`: `<` is escaped as `\u003c`, so no
 * `</script>` or `<!--` inside the data can end the element (JSON.parse reads it back unchanged).
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replaceAll('<', '\\u003c');
}

/** A byte count for people: `176 B`, `704 KiB` (KiB/MiB at whole multiples or one decimal). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const kib = bytes / 1024;
  if (kib < 1024) return `${Number.isInteger(kib) ? kib : kib.toFixed(1)} KiB`;
  const mib = kib / 1024;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** Rows of an HTML table: a header row, then the body; every cell is escaped text. */
export function htmlTable(
  head: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  className = '',
): string {
  const cells = (tag: 'th' | 'td', r: readonly (string | number)[]) =>
    r
      .map((c) => `<${tag}${typeof c === 'number' ? ' class="num"' : ''}>${escapeHtml(String(c))}</${tag}>`)
      .join('');
  return (
    `<table${className !== '' ? ` class="${className}"` : ''}><thead><tr>${cells('th', head)}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${cells('td', r)}</tr>`).join('')}</tbody></table>`
  );
}
