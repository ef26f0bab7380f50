/** Where in a scenario file something is: 1-based line and column. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * A problem with a scenario file found before it runs — YAML syntax, the schema, or a reference to
 * something no earlier step made — at the place in the file it concerns.
 */
export interface ScenarioError extends SourcePosition {
  readonly file: string;
  /** The field's path, e.g. `steps[3].set-state.state` (empty for the document itself). */
  readonly field: string;
  readonly message: string;
}

/** `file:line:column: field: message` — one line, as `vfio-sim check` and `vfio-sim run` print it. */
export function formatScenarioError(e: ScenarioError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.field === '' ? '' : `${e.field}: `}${e.message}`;
}

/** A path as a field name: keys joined by dots, indexes in brackets (`steps[3].set-state.state`). */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
