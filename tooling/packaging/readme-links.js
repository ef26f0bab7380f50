// @ts-check
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The placeholder public repository every package.json names and every README links into. */
export const REPO_URL = 'https://github.com/vfio-sim/vfio-sim';

/**
 * The link targets of a Markdown text outside fenced code blocks and code spans: inline links and
 * images `[text](target)`, reference definitions `[id]: target`, autolinks `<https://…>`.
 * @param {string} markdown
 * @returns {string[]}
 */
export function markdownLinks(markdown) {
  const prose = markdown.replace(/^```[\s\S]*?^```[ \t]*$/gm, '').replace(/`[^`\n]*`/g, '``');
  return [
    ...[...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? ''),
    ...[...prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1] ?? ''),
    ...[...prose.matchAll(/<(https?:\/\/[^>\s]+)>/g)].map((m) => m[1] ?? ''),
  ];
}

/**
 * GitHub's (and npm's) anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
 * @param {string} heading
 */
export function headingAnchor(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/**
 * The links of a package README that would not work on the registry page: a relative link to a file
 * the tarball does not hold, an in-page anchor no heading has, or a link into the repository to a path
 * that does not exist there.
 * @param {string} markdown the README
 * @param {readonly string[]} packed the files in the package's tarball (relative to the package)
 * @param {string} root the repository root, for links into the repository
 * @returns {string[]} one line per broken link
 */
export function brokenLinks(markdown, packed, root) {
  const anchors = new Set(
    [...markdown.replace(/^```[\s\S]*?^```[ \t]*$/gm, '').matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      headingAnchor(m[1] ?? ''),
    ),
  );
  const packedSet = new Set(packed);
  /** @type {string[]} */
  const broken = [];
  for (const target of markdownLinks(markdown)) {
    if (target.startsWith('#')) {
      if (!anchors.has(target.slice(1))) broken.push(`${target}: no such heading`);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      const inRepo = new RegExp(`^${REPO_URL}/(?:blob|tree)/main/([^#?]+)`).exec(target);
      if (inRepo && !existsSync(join(root, decodeURIComponent(inRepo[1] ?? ''))))
        broken.push(`${target}: not a path in the repository`);
      continue;
    }
    const path = target.replace(/[#?].*$/, '').replace(/^\.\//, '');
    if (!packedSet.has(path)) broken.push(`${target}: relative, and not in the tarball`);
  }
  return broken;
}
