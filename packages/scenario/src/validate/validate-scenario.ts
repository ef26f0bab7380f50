import type { z } from 'zod';
import { positionOf, type ScenarioSource } from '../parse/scenario-source.js';
import { type ScenarioDocument, scenarioSchema } from '../schema/scenario.js';
import { ACTION_NAMES, type ActionName } from '../schema/steps.js';
import { fieldPath, type ScenarioError } from './scenario-error.js';

type Issue = z.core.$ZodIssue;

/**
 * Check a parsed scenario against the schema. Every problem comes back as a {@link ScenarioError} at the
 * line and column of the field it concerns, with the field's path — never a stack trace.
 *
 * A step is a union of one schema per action; zod reports a failing union as all of its branches, so the
 * branch the step meant (its action key) is picked and only that branch's issues are reported.
 */
export function validateScenario(
  source: ScenarioSource,
): { scenario: ScenarioDocument; errors: [] } | { scenario: undefined; errors: ScenarioError[] } {
  const parsed = scenarioSchema.safeParse(source.value);
  if (parsed.success) return { scenario: parsed.data, errors: [] };
  const errors = parsed.error.issues
    .flatMap((issue) => explain(issue, [], source.value))
    .map(({ path, message, key }) => ({
      file: source.file,
      ...positionOf(source, path, key),
      field: fieldPath(key === undefined ? path : [...path, key]),
      message,
    }));
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { scenario: undefined, errors: dedupe(errors) };
}

interface Explained {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  /** For an unknown key: the key (its position is reported). */
  readonly key?: string;
}

/** One issue as messages at paths (an issue's own path is relative to `base`). */
function explain(issue: Issue, base: readonly PropertyKey[], root: unknown): Explained[] {
  const path = [...base, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path, key, message: unknownKey(key, valueAt(root, path)) }));
    case 'invalid_union':
      return explainUnion(issue, path, root);
    case 'invalid_type': {
      const value = valueAt(root, path);
      if (value === undefined) return [{ path, message: 'required' }];
      return [{ path, message: `expected ${want(issue)}, got ${describe(value)}` }];
    }
    case 'invalid_value':
      return [{ path, message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` }];
    case 'too_small':
      return [
        { path, message: `must be ≥ ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}` },
      ];
    case 'too_big':
      return [
        { path, message: `must be ≤ ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}` },
      ];
    default:
      return [{ path, message: issue.message }];
  }
}

/** A union failed: for a step, report its action's branch; otherwise say what each branch wanted. */
function explainUnion(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  path: PropertyKey[],
  root: unknown,
): Explained[] {
  const value = valueAt(root, path);
  if (isStepPath(path)) return explainStep(issue, path, root);
  if ('options' in issue && Array.isArray(issue.options)) {
    // a discriminated union (the fault kinds) without a matching discriminator
    return [{ path, message: `expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}` }];
  }
  // The branch whose shape matched (its issues are all inside the value) is the one meant: report it.
  const inside = issue.errors.find((b) => b.length > 0 && b.every((i) => !isShapeIssue(i)));
  if (inside !== undefined) return inside.flatMap((i) => explain(i, path, root));
  return [{ path, message: `expected ${wants(issue)}; got ${describe(value)}` }];
}

/** A step's union failed: report the branch of its action key. */
function explainStep(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  path: PropertyKey[],
  root: unknown,
): Explained[] {
  const value = valueAt(root, path);
  const actions = actionsOf(value);
  if (actions.length === 1) {
    const branch = issue.errors[ACTION_NAMES.indexOf(actions[0] as ActionName)] ?? [];
    return branch.flatMap((i) => explain(i, path, root));
  }
  if (actions.length > 1) return [{ path, message: `a step has one action, not ${actions.join(' and ')}` }];
  const keys = value !== null && typeof value === 'object' ? Object.keys(value) : [];
  for (const key of keys) {
    const close = ACTION_NAMES.filter((a) => near(a, key));
    if (close.length > 0)
      return [{ path, key, message: `unknown action "${key}" (did you mean ${close.join(' or ')}?)` }];
  }
  return [{ path, message: `a step needs one action: ${ACTION_NAMES.join(', ')}` }];
}

/** An issue about the value's own type or shape (not about something inside it). */
function isShapeIssue(issue: Issue): boolean {
  return (
    issue.path.length === 0 &&
    (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union')
  );
}

/** What a union's branches accept, in words. */
function wants(issue: Extract<Issue, { code: 'invalid_union' }>): string {
  const each = issue.errors.map((branch) =>
    branch
      .filter((i) => i.path.length === 0)
      .map(want)
      .join(' and '),
  );
  return [...new Set(each.filter((w) => w !== ''))].join(', or ');
}

/** What one failed branch wanted, in words. */
function want(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'object' || issue.expected === 'record'
        ? 'a mapping'
        : issue.expected === 'array'
          ? 'a list'
          : issue.expected;
    case 'invalid_value':
      return issue.values.length > 6
        ? `one of ${issue.values
            .slice(0, 6)
            .map((v) => JSON.stringify(v))
            .join(', ')}, …`
        : issue.values.map((v) => JSON.stringify(v)).join(' | ');
    case 'too_small':
      return `a number ≥ ${String(issue.minimum)}`;
    case 'too_big':
      return `a number ≤ ${String(issue.maximum)}`;
    case 'invalid_union':
      return wants(issue);
    case 'invalid_format':
      return issue.message;
    default:
      return issue.message;
  }
}

function isStepPath(path: readonly PropertyKey[]): boolean {
  return path.length === 2 && path[0] === 'steps' && typeof path[1] === 'number';
}

function actionsOf(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.keys(value).filter((k) => (ACTION_NAMES as readonly string[]).includes(k));
}

function unknownKey(key: string, at: unknown): string {
  const close = actionsOf(at).length > 0 ? ACTION_NAMES.filter((a) => near(a, key)) : [];
  return close.length > 0
    ? `unknown key "${key}" (a step has one action; did you mean ${close.join(' or ')}?)`
    : `unknown key "${key}"`;
}

/** Two names one typo apart (an edit distance of at most 2). */
function near(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2) return false;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  return d[a.length]![b.length]! <= 2;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path)
    v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

function dedupe(errors: ScenarioError[]): ScenarioError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.line}:${e.column}:${e.field}:${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
