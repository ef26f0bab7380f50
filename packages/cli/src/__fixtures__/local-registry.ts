/**
 * Test scaffolding: a package and everything it depends on, packed, and served by a registry on
 * 127.0.0.1 — what npm needs to install it as a user would, with no network.
 *
 * The workspace's own packages are packed with `pnpm pack` (as they would be published: `workspace:`
 * ranges replaced); third-party ones are tarred from pnpm's store (their published contents). The
 * registry answers npm's two requests: a package's document (`GET /<name>`) and a tarball.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One package to serve: its manifest and its tarball. */
interface Served {
  readonly manifest: { name: string; version: string; [key: string]: unknown };
  readonly tarball: Buffer;
}

/** The directory a package `name` resolves to from `from` (Node's lookup, through pnpm's links). */
function resolvePackageDir(from: string, name: string): string | undefined {
  for (let d = from; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(d) === d) return undefined;
  }
}

/**
 * Every package `dir` needs at run time: itself and its dependencies (optional ones when present),
 * transitively, each once per version — by real directory.
 */
export function runtimeClosure(dir: string): string[] {
  const seen = new Set<string>();
  const visit = (d: string) => {
    const real = realpathSync(d);
    if (seen.has(real)) return;
    seen.add(real);
    const pkg = JSON.parse(readFileSync(join(real, 'package.json'), 'utf8'));
    for (const [deps, optional] of [
      [pkg.dependencies, false],
      [pkg.optionalDependencies, true],
    ] as const)
      for (const name of Object.keys(deps ?? {})) {
        const found = resolvePackageDir(real, name);
        if (found !== undefined) visit(found);
        else if (!optional) throw new Error(`${pkg.name}: its dependency ${name} is not installed`);
      }
  };
  visit(dir);
  return [...seen];
}

/** Whether `dir` is a third-party package (in pnpm's store), not one of the workspace's. */
const isThirdParty = (dir: string) => dir.includes(join('node_modules', '.pnpm'));

/**
 * Pack the workspace's packages with one `pnpm pack` (`workspace:` ranges replaced by versions, as
 * publishing does), each manifest read back from its tarball.
 */
async function packWorkspace(dirs: readonly string[], scratch: string): Promise<Served[]> {
  if (dirs.length === 0) return [];
  const manifests = dirs.map((d) => JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')));
  const filters = manifests.flatMap((m) => ['--filter', m.name]);
  await run('pnpm', ['-r', ...filters, 'pack', '--pack-destination', scratch], {
    cwd: dirs[0],
    maxBuffer: 1 << 24,
  });
  return Promise.all(
    manifests.map(async ({ name, version }) => {
      const file = join(scratch, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
      const { stdout } = await run('tar', ['-xzOf', file, 'package/package.json']);
      return { manifest: JSON.parse(stdout), tarball: readFileSync(file) };
    }),
  );
}

/** A third-party package as published: its directory in pnpm's store, tarred. */
async function packThirdParty(dir: string): Promise<Served> {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  // pnpm's store hard-links files of equal content; npm's extraction skips hard-link entries
  const { stdout } = await run(
    'tar',
    ['-czf', '-', '--hard-dereference', '-C', dir, '--transform', 's,^\\.,package,', '.'],
    { encoding: 'buffer', maxBuffer: 1 << 28 },
  );
  return { manifest, tarball: stdout };
}

/** A running registry of packed packages. */
export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** name@version of every package it serves. */
  readonly packages: readonly string[];
  /** The tarball of `name` (its only version), as a file for `npm install <file>`. */
  tarballOf(name: string): Buffer;
  close(): Promise<void>;
}

/**
 * Pack `dirs` and serve them on 127.0.0.1 as a registry. Several versions of one
 * package are served side by side; `latest` is the last one packed.
 */
export async function startLocalRegistry(dirs: readonly string[], scratch: string): Promise<LocalRegistry> {
  const served = [
    ...(await packWorkspace(
      dirs.filter((d) => !isThirdParty(d)),
      scratch,
    )),
  ];
  const others = dirs.filter(isThirdParty);
  for (let i = 0; i < others.length; i += 8)
    served.push(...(await Promise.all(others.slice(i, i + 8).map(packThirdParty))));
  const byName = new Map<string, Served[]>();
  for (const s of served) byName.set(s.manifest.name, [...(byName.get(s.manifest.name) ?? []), s]);
  const fileOf = (s: Served) => `${s.manifest.name.replace('/', '-')}-${s.manifest.version}.tgz`;
  let base = '';
  const document = (name: string, versions: readonly Served[]) => ({
    name,
    'dist-tags': { latest: versions[versions.length - 1]?.manifest.version },
    versions: Object.fromEntries(
      versions.map((s) => [
        s.manifest.version,
        {
          ...s.manifest,
          dist: {
            tarball: `${base}-/${fileOf(s)}`,
            shasum: createHash('sha1').update(s.tarball).digest('hex'),
            integrity: `sha512-${createHash('sha512').update(s.tarball).digest('base64')}`,
          },
        },
      ]),
    ),
  });
  const tarballs = new Map(served.map((s) => [fileOf(s), s.tarball]));
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0] ?? '');
    const tarball = path.startsWith('-/') ? tarballs.get(path.slice(2)) : undefined;
    const versions = byName.get(path);
    if (tarball !== undefined) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarball);
    } else if (versions !== undefined) {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(document(path, versions)));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  return {
    url: base,
    packages: served.map((s) => `${s.manifest.name}@${s.manifest.version}`),
    tarballOf: (name) => {
      const s = byName.get(name)?.[0];
      if (s === undefined) throw new Error(`${name} is not served`);
      return s.tarball;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
