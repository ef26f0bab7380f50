// @ts-check
/**
 * Release dry run: what `changeset version` + `pnpm publish` would do, done in a scratch copy of the
 * repository so nothing here changes. Run after `pnpm build` (the tarballs carry the built dist/).
 *
 * 1. copy the repository (sources, .changeset/, manifests, dist/ — not node_modules: the root's is
 *    linked, and each package gets links to the scratch copies of its workspace dependencies, which is
 *    what `pnpm pack` reads to replace `workspace:` ranges);
 * 2. `changeset version`: consume the changesets, bump versions, write the CHANGELOGs;
 * 3. check every published package: its version moved if a changeset named it, its CHANGELOG.md is the
 *    generated one for that version, and no `workspace:` range survives packing;
 * 4. `pnpm pack` each one, then publint (strict) and attw (ESM-only profile) on the tarball itself.
 *
 * It also checks that every CHANGELOG.md committed to the repository is in the generated form
 * (`changelogProblems`): CHANGELOGs are written by changesets, not by hand.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { publishedPackages, ROOT } from './workspace.js';

/** Directories the scratch copy leaves out, wherever they are (and the root's docs/api, TypeDoc's output). */
const SKIP = new Set(['node_modules', '.git', '.turbo', '.readme', 'coverage']);

/**
 * Problems with a CHANGELOG.md that changesets did not write as it stands: anything but the
 * `# name` title, `## version` sections, `### Major|Minor|Patch Changes` headings and list items.
 * @param {string} text the CHANGELOG
 * @param {string} name the package name
 * @param {string} version the package's current version (the first section must be it)
 * @returns {string[]}
 */
export function changelogProblems(text, name, version) {
  /** @type {string[]} */
  const problems = [];
  const lines = text.split('\n');
  if (lines[0] !== `# ${name}`) problems.push(`first line is not "# ${name}"`);
  const versions = [...text.matchAll(/^## (\S+)$/gm)].map((m) => m[1]);
  if (versions[0] !== version) problems.push(`first section is ${versions[0]}, package.json says ${version}`);
  for (const [i, line] of lines.entries()) {
    if (i === 0 || line === '' || /^## \S+$/.test(line) || /^### (Major|Minor|Patch) Changes$/.test(line))
      continue;
    if (/^(- | {2})/.test(line)) continue;
    problems.push(`line ${i + 1} is not what changesets writes: ${JSON.stringify(line)}`);
  }
  return problems;
}

/**
 * The packages the pending changesets name, with their bump.
 * @param {string} root
 * @returns {Map<string, string>}
 */
function pendingBumps(root) {
  /** @type {Map<string, string>} */
  const bumps = new Map();
  const dir = join(root, '.changeset');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
    const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(dir, f), 'utf8'))?.[1] ?? '';
    for (const m of front.matchAll(/^\s*["']?(@?[^"':\s]+)["']?\s*:\s*(major|minor|patch)\s*$/gm))
      bumps.set(m[1] ?? '', m[2] ?? '');
  }
  return bumps;
}

/**
 * Give each workspace package `node_modules/<dep>` links to its workspace dependencies' directories (dev
 * ones too: packing rewrites every `workspace:` range), as `pnpm install` would.
 * @param {string} root
 */
function linkWorkspaceDependencies(root) {
  /** @type {Array<{ dir: string; manifest: Record<string, any> }>} */
  const all = [];
  for (const group of ['packages', 'tooling', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base)) {
      const file = join(base, d, 'package.json');
      if (existsSync(file))
        all.push({ dir: join(base, d), manifest: JSON.parse(readFileSync(file, 'utf8')) });
    }
  }
  const dirs = new Map(all.map((p) => [p.manifest.name, p.dir]));
  for (const pkg of all) {
    const deps = { ...pkg.manifest.dependencies, ...pkg.manifest.devDependencies };
    for (const [dep, range] of Object.entries(deps)) {
      const target = dirs.get(dep);
      if (target === undefined || !String(range).startsWith('workspace:')) continue;
      const link = join(pkg.dir, 'node_modules', dep);
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(target, link, 'dir');
    }
  }
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {string} cwd
 */
function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Run the dry run; resolves to the problems found (empty: the release would go through).
 * @param {{ root?: string; keep?: boolean }} [options]
 * @returns {Promise<{ problems: string[]; packed: string[]; scratch: string }>}
 */
export async function releaseDryRun({ root = ROOT, keep = false } = {}) {
  /** @type {string[]} */
  const problems = [];
  for (const pkg of publishedPackages(root)) {
    const file = join(pkg.dir, 'CHANGELOG.md');
    if (existsSync(file))
      for (const p of changelogProblems(readFileSync(file, 'utf8'), pkg.name, pkg.manifest.version))
        problems.push(`${relative(root, file)} (committed): ${p}`);
  }
  const bumps = pendingBumps(root);
  const scratch = mkdtempSync(join(tmpdir(), 'vfio-sim-release-'));
  try {
    cpSync(root, scratch, {
      recursive: true,
      filter: (src) => !SKIP.has(basename(src)) && relative(root, src) !== join('docs', 'api'),
    });
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    run(join(root, 'node_modules', '.bin', 'changeset'), ['version'], scratch);
    linkWorkspaceDependencies(scratch);
    const tarballs = join(scratch, '.tarballs');
    /** @type {string[]} */
    const packed = [];
    const after = publishedPackages(scratch);
    const versions = new Map(after.map((p) => [p.name, p.manifest.version]));
    for (const pkg of after) {
      const where = relative(scratch, pkg.dir);
      const before = publishedPackages(root).find((p) => p.name === pkg.name)?.manifest.version;
      const bumped = bumps.has(pkg.name);
      if (bumped && pkg.manifest.version === before)
        problems.push(`${where}: a changeset names it, but changeset version left it at ${before}`);
      const changelog = join(pkg.dir, 'CHANGELOG.md');
      if (bumped && !existsSync(changelog)) problems.push(`${where}: no CHANGELOG.md generated`);
      if (existsSync(changelog))
        for (const p of changelogProblems(readFileSync(changelog, 'utf8'), pkg.name, pkg.manifest.version))
          problems.push(`${where}/CHANGELOG.md (generated): ${p}`);
      if (!existsSync(join(pkg.dir, 'dist')))
        problems.push(`${where}: no dist/ to pack (run pnpm build first)`);

      const out = JSON.parse(run('pnpm', ['pack', '--json', '--pack-destination', tarballs], pkg.dir));
      const tgz = resolve(tarballs, basename(out.filename));
      packed.push(tgz);
      const manifest = JSON.parse(run('tar', ['-xOzf', tgz, 'package/package.json'], scratch));
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
        if (String(range).startsWith('workspace:'))
          problems.push(`${basename(tgz)}: ${dep}@${range} left unresolved`);
        else if (versions.has(dep) && !String(range).includes(String(versions.get(dep))))
          problems.push(
            `${basename(tgz)}: ${dep}@${range} does not accept the released ${versions.get(dep)}`,
          );
      }
      for (const [tool, args] of /** @type {const} */ ([
        ['publint', ['run', tgz, '--strict']],
        ['attw', [tgz, '--profile', 'esm-only', '--format', 'table-flipped']],
      ])) {
        try {
          run(join(root, 'tooling', 'packaging', 'node_modules', '.bin', tool), [...args], scratch);
        } catch (e) {
          const err = /** @type {{ stdout?: string; stderr?: string }} */ (e);
          problems.push(`${basename(tgz)}: ${tool} failed\n${err.stdout ?? ''}${err.stderr ?? ''}`);
        }
      }
    }
    return { problems, packed, scratch };
  } finally {
    if (!keep) rmSync(scratch, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  const { problems, packed } = await releaseDryRun();
  for (const p of problems) console.error(p);
  console.error(
    `release dry run: ${packed.length} packages versioned, packed and linted, ${problems.length} problems`,
  );
  process.exitCode = problems.length === 0 ? 0 : 1;
}
