// @ts-check
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/**
 * The fenced code blocks of a Markdown text, in order, with their info string (`js`, `ts`, `sh`, …).
 * @param {string} markdown
 * @returns {Array<{ lang: string; code: string }>}
 */
export function codeBlocks(markdown) {
  return [...markdown.matchAll(/^```([\w-]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => ({
    lang: m[1] ?? '',
    code: m[2] ?? '',
  }));
}

/** Fences that hold a runnable example. */
const JS_LANGS = new Set(['js', 'mjs', 'javascript']);

/**
 * How many `assert…(` calls a piece of code makes.
 * @param {string} code
 */
export function assertCount(code) {
  return (code.match(/\bassert(\.\w+)?\(/g) ?? []).length;
}

/**
 * The TypeScript settings a consumer's project might have, as strict as they come, resolving the
 * package the two ways TypeScript 5.9 users do: a bundler, and Node's own ESM (nodenext). No custom
 * conditions, so the package's `types` condition leads to its built `dist/index.d.ts`.
 * @param {string} packageDir
 * @returns {Array<{ name: string; options: ts.CompilerOptions }>}
 */
function consumerCompilerOptions(packageDir) {
  /** @type {ts.CompilerOptions} */
  const common = {
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [join(packageDir, 'node_modules', '@types')],
    moduleDetection: ts.ModuleDetectionKind.Force,
  };
  return [
    {
      name: 'bundler',
      options: {
        ...common,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
      },
    },
    {
      name: 'nodenext',
      options: {
        ...common,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
      },
    },
  ];
}

/**
 * Type-check files as a consumer's TypeScript would (see {@link consumerCompilerOptions}): `.ts` files,
 * or JavaScript files as `// @ts-check` does (`checkJs`, types from JSDoc).
 * @param {string} packageDir
 * @param {string[]} files
 * @returns {string[]} one line per diagnostic, prefixed with the resolution mode
 */
export function typeCheckAsConsumer(packageDir, files) {
  /** @type {string[]} */
  const problems = [];
  for (const { name, options } of consumerCompilerOptions(packageDir)) {
    const program = ts.createProgram(files, { ...options, allowJs: true, checkJs: true });
    // The examples and the package's own declarations — not every declaration file they reach
    // (@types/node above all): checking those costs seconds per program and says nothing about us.
    const checked = program
      .getSourceFiles()
      .filter((f) => !f.isDeclarationFile || f.fileName.startsWith(join(packageDir, 'dist')));
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...checked.flatMap((f) => [
        ...program.getSyntacticDiagnostics(f),
        ...program.getSemanticDiagnostics(f),
      ]),
    ];
    for (const d of diagnostics) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const where =
        d.file && d.start !== undefined
          ? `${relative(packageDir, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
          : '';
      problems.push(`[${name}] ${where} TS${d.code}: ${text}`);
    }
  }
  return problems;
}

/**
 * Run a module with plain `node` from the package directory: no export conditions, so the package (by
 * its own name) and its dependencies resolve to their built `dist/` through `exports`, as for a user.
 * @param {string} packageDir
 * @param {string} file
 * @returns {{ ok: boolean; output: string }}
 */
export function runWithNode(packageDir, file) {
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const r = spawnSync(process.execPath, [file], { cwd: packageDir, encoding: 'utf8', env });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

/**
 * Check every example of a package README. A published package's README shows plain JavaScript
 * (```js blocks, each a whole program): each one is run with `node` as an `.mjs` file against the
 * built package and type-checked, unchanged, as a `.ts` file; TypeScript-only (```ts) blocks are
 * refused. A private package (the harness) may still keep one ```ts example under "## Usage", run in
 * vitest against the sources. Resolves to the number of `assert` calls the examples make.
 * @param {string} packageDir
 * @returns {Promise<number>}
 */
export async function runReadmeExamples(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const blocks = codeBlocks(readFileSync(join(packageDir, 'README.md'), 'utf8'));
  const examples = blocks.filter((b) => JS_LANGS.has(b.lang)).map((b) => b.code);
  if (examples.length === 0 && manifest.private === true) return runTsUsageExample(packageDir);

  const tsOnly = blocks.filter((b) => b.lang === 'ts' || b.lang === 'typescript').length;
  if (tsOnly > 0)
    throw new Error(`README.md has ${tsOnly} TypeScript-only block(s): show examples as \`\`\`js`);
  if (examples.length === 0) throw new Error('README.md has no ```js example');
  const dist = join(packageDir, 'dist');
  if (!existsSync(dist))
    throw new Error(`${dist} is missing: the examples run against the build (pnpm build)`);

  const dir = join(packageDir, '.readme');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  /** @type {string[]} */
  const tsFiles = [];
  /** @type {string[]} */
  const failures = [];
  for (const [i, code] of examples.entries()) {
    if (assertCount(code) === 0) failures.push(`example ${i + 1} checks nothing (no assert call)`);
    const mjs = join(dir, `example-${i + 1}.mjs`);
    writeFileSync(mjs, code);
    const run = runWithNode(packageDir, mjs);
    if (!run.ok) failures.push(`example ${i + 1} failed under node:\n${run.output}`);
    const tsFile = join(dir, `example-${i + 1}.ts`);
    writeFileSync(tsFile, code);
    tsFiles.push(tsFile);
  }
  failures.push(...typeCheckAsConsumer(packageDir, tsFiles));
  if (failures.length > 0) throw new Error(failures.join('\n'));
  return examples.reduce((n, code) => n + assertCount(code), 0);
}

/**
 * The private-package path: the first ```ts block under "## Usage", imported as a module inside the
 * package (vitest resolves workspace packages to their sources).
 * @param {string} packageDir
 * @returns {Promise<number>}
 */
async function runTsUsageExample(packageDir) {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const usage = readme.split(/^## Usage\s*$/m)[1];
  if (usage === undefined) throw new Error(`${packageDir}/README.md has no "## Usage" section`);
  const m = /```ts\n([\s\S]*?)```/.exec(usage);
  if (m === null || m[1] === undefined)
    throw new Error(`${packageDir}/README.md: no \`\`\`ts block under "## Usage"`);
  const dir = join(packageDir, '.readme');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'example.ts');
  writeFileSync(file, m[1]);
  await import(/* @vite-ignore */ pathToFileURL(file).href);
  return assertCount(m[1]);
}
