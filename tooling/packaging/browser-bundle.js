// @ts-check
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

/** Node's built-in module names, with and without the `node:` prefix. */
const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Node-only globals a browser does not have (a bundler does not polyfill them either). */
const NODE_GLOBALS = ['Buffer', 'process', 'global', '__dirname', '__filename', 'require', 'setImmediate'];

/**
 * esbuild's `define` replaces an identifier only where it is free (a global), never a local of the same
 * name (a parameter called `process`): each Node global becomes a marker the output can be searched for.
 */
const MARK = '__NODE_GLOBAL__';
const MARKED = new RegExp(`${MARK}(\\w+)`, 'g');

/**
 * A use guarded by its own `typeof` test — `typeof Buffer !== "undefined" ? Buffer.isBuffer : void 0`, as
 * fast-check does — runs in a browser: both markers of it are dropped before the search.
 */
const GUARDED = new RegExp(`typeof ${MARK}(\\w+) !== "undefined" \\? ${MARK}\\1\\b`, 'g');

/**
 * Bundle a package for the browser as an app that imports it would: esbuild, `platform: 'browser'`
 * (so the `browser` export condition applies), everything it imports inlined. The package is named by
 * its own name from inside its directory (a self-reference through its `exports`), so the built `dist`
 * is what gets bundled.
 * @param {string} name the package name
 * @param {string} dir the package directory
 * @returns {Promise<{ errors: string[]; nodeImports: string[]; nodeGlobals: string[]; inputs: string[] }>}
 */
export async function bundleForBrowser(name, dir) {
  /** @type {string[]} */
  const nodeImports = [];
  const result = await build({
    stdin: { contents: `export * from ${JSON.stringify(name)};`, resolveDir: dir, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    define: Object.fromEntries(NODE_GLOBALS.map((g) => [g, `${MARK}${g}`])),
    plugins: [
      {
        name: 'record-node-builtins',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (!NODE_BUILTINS.has(args.path)) return undefined;
            nodeImports.push(`${args.importer || '<entry>'} → ${args.path}`);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  }).catch((/** @type {{ errors?: Array<{ text: string }> }} */ e) => ({ error: e }));
  if ('error' in result) {
    return {
      errors: (result.error.errors ?? []).map((m) => m.text),
      nodeImports,
      nodeGlobals: [],
      inputs: [],
    };
  }
  const text = result.outputFiles?.[0]?.text ?? '';
  return {
    errors: [],
    nodeImports,
    nodeGlobals: nodeGlobalsIn(text),
    inputs: Object.keys(result.metafile.inputs),
  };
}

/**
 * The Node-only globals a bundle (with each one replaced by its marker) uses unguarded.
 * @param {string} text
 * @returns {string[]}
 */
export function nodeGlobalsIn(text) {
  const unguarded = text.replace(GUARDED, 'guarded');
  return [...new Set([...unguarded.matchAll(MARKED)].map((m) => m[1] ?? ''))];
}

/** The marker esbuild's `define` puts for the Node global `name` (for tests). */
export function nodeGlobalMarker(/** @type {string} */ name) {
  return `${MARK}${name}`;
}
