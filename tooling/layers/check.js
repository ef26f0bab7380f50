// @ts-check
/**
 * Layer check: no package imports a layer above it (or beside it, unless the table allows it).
 *
 * Two views of the same rule from layers.js:
 * 1. dependency-cruiser follows every import in every source file (through pnpm's symlinks and the
 *    `@vfio-sim/source` export condition) and reports each forbidden edge, plus cycles and src→test imports;
 * 2. every package.json declares only the workspace dependencies its layer may have.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cruise } from 'dependency-cruiser';
import { LAYERS } from './layers.js';

const escapeRegExp = (/** @type {string} */ s) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/**
 * The dependency-cruiser rule set derived from the layer table. Paths match with an optional prefix,
 * so the same rules apply to the fixture trees under tooling/layers/fixtures.
 * @param {typeof LAYERS} layers
 */
export function ruleSet(layers = LAYERS) {
  /** @type {any[]} */
  const forbidden = [
    {
      name: 'no-circular',
      comment:
        'no import cycle that exists at run time (a cycle through a type-only import erases at compile time)',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'src-not-to-test',
      comment: 'production code never imports a test or bench file',
      severity: 'error',
      from: { pathNot: '\\.(test|bench)\\.ts$' },
      to: { path: '\\.(test|bench)\\.ts$' },
    },
  ];
  for (const layer of layers) {
    const allowed = new Set([layer.name, ...layer.mayImport]);
    const others = layers.filter((l) => !allowed.has(l.name));
    if (others.length === 0) continue;
    forbidden.push({
      name: `layer:${layer.name}`,
      comment: `${layer.name} may import only ${layer.mayImport.join(', ') || 'nothing of ours'}`,
      severity: 'error',
      from: { path: `(^|/)${escapeRegExp(layer.dir)}/` },
      to: { path: `(^|/)(${others.map((l) => escapeRegExp(l.dir)).join('|')})/` },
    });
  }
  return { forbidden };
}

/**
 * Cruise `dirs` (relative to `root`) with the layer rules.
 * @param {string} root
 * @param {string[]} dirs
 * @returns {Promise<Array<{ rule: string; from: string; to: string }>>}
 */
export async function cruiseLayers(root, dirs) {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const result = await cruise(
      dirs,
      {
        validate: true,
        ruleSet: /** @type {any} */ (ruleSet()),
        exclude: { path: '(^|/)(node_modules|dist|\\.turbo)/' },
        doNotFollow: { path: 'node_modules' },
        tsPreCompilationDeps: true,
        enhancedResolveOptions: {
          conditionNames: ['@vfio-sim/source', 'import', 'types', 'default'],
          extensions: ['.ts', '.js', '.mjs', '.json'],
          exportsFields: ['exports'],
        },
      },
      undefined,
      undefined,
    );
    const output = /** @type {any} */ (result.output);
    return output.summary.violations.map((/** @type {any} */ v) => ({
      rule: v.rule.name,
      from: v.from,
      to: v.to,
    }));
  } finally {
    process.chdir(cwd);
  }
}

/**
 * Check each package.json's workspace dependencies against the table.
 * @param {string} root
 * @returns {Array<{ rule: string; from: string; to: string }>}
 */
export function checkManifests(root) {
  const violations = [];
  for (const layer of LAYERS) {
    const manifest = JSON.parse(readFileSync(join(root, layer.dir, 'package.json'), 'utf8'));
    const deps = { ...manifest.dependencies, ...manifest.peerDependencies };
    for (const dep of Object.keys(deps)) {
      const m = /^@vfio-sim\/(.+)$/.exec(dep);
      if (!m || !LAYERS.some((l) => l.name === m[1])) continue;
      if (!layer.mayImport.includes(/** @type {string} */ (m[1]))) {
        violations.push({ rule: `manifest:${layer.name}`, from: `${layer.dir}/package.json`, to: dep });
      }
    }
  }
  return violations;
}

const isMain = process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const dirs = LAYERS.map((l) => relative(root, join(root, l.dir, 'src')));
  const violations = [...(await cruiseLayers(root, dirs)), ...checkManifests(root)];
  if (violations.length > 0) {
    for (const v of violations) console.error(`layer violation [${v.rule}]: ${v.from} → ${v.to}`);
    process.exit(1);
  }
  console.error(`layers: ${LAYERS.length} layers, no upward imports`);
}
