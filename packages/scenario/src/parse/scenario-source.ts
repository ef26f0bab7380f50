import {
  type Document,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import type { ScenarioError, SourcePosition } from '../validate/scenario-error.js';

/**
 * A scenario file parsed by the `yaml` package with its source positions kept: the document tree (every
 * node with its offset range) and a line counter to turn offsets into line:column. The value is plain
 * JSON-like data (`doc.toJS()`); {@link positionOf} finds where any path of it was written.
 */
export interface ScenarioSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  /** The data, or undefined when the YAML did not parse. */
  readonly value: unknown;
}

/**
 * Parse `text` (the contents of `file`) as one YAML document (YAML 1.2 core schema: `0x1f` is a number,
 * `yes` a string). Syntax errors (and duplicate keys) come back as {@link ScenarioError}s with their
 * line and column; the value is then undefined.
 */
export function parseScenarioSource(
  text: string,
  file: string,
): { source: ScenarioSource; errors: ScenarioError[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const errors: ScenarioError[] = doc.errors.map((e) => {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    return { file, line, column: col, field: '', message: e.message.split('\n')[0] ?? e.code };
  });
  const value = errors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
  return { source: { file, text, doc, lineCounter, value }, errors };
}

/**
 * Where `path` was written: the value's node, or — for a key the data does not have — the closest
 * enclosing node that exists. With `key`, the position of that key of the mapping at `path` (for an
 * unknown key).
 */
export function positionOf(
  source: ScenarioSource,
  path: readonly PropertyKey[],
  key?: string,
): SourcePosition {
  let node: unknown = source.doc.contents;
  let at = offsetOf(node) ?? 0;
  for (const step of path) {
    const next = childOf(node, step);
    if (next === undefined) break;
    node = next.value;
    at = offsetOf(next.value) ?? offsetOf(next.key) ?? at;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    const keyAt = pair !== undefined ? offsetOf(pair.key) : undefined;
    if (keyAt !== undefined) at = keyAt;
  }
  const { line, col } = source.lineCounter.linePos(at);
  return { line, column: col };
}

/** The child of a collection node at `step`: the pair's key (for a map) and the value node. */
function childOf(node: unknown, step: PropertyKey): { key: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
    return pair === undefined ? undefined : { key: pair.key, value: pair.value };
  }
  if (isSeq(node) && typeof step === 'number') {
    const item = node.items[step];
    return item === undefined ? undefined : { key: undefined, value: item };
  }
  return undefined;
}

function offsetOf(node: unknown): number | undefined {
  return isNode(node) ? (node as Node).range?.[0] : undefined;
}
