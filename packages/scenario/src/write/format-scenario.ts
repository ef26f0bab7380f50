import { Document, isMap, isSeq, type Node } from 'yaml';
import type { ScenarioDocument } from '../schema/scenario.js';

/** Options of {@link formatScenario}. */
export interface FormatScenarioOptions {
  /** Comment lines above the document (each line prefixed with `# `). */
  readonly comment?: string;
  /** The `$schema` path editors use (the yaml-language-server modeline); none if not given. */
  readonly schema?: string;
}

/**
 * A scenario document as YAML text, as a person would write it: the top level and each step in block
 * style, each step's arguments and expectation in flow style (`- migrate: { guest: g, to: dst }`).
 * `loadScenario` reads it back to the same document.
 */
export function formatScenario(doc: ScenarioDocument, options: FormatScenarioOptions = {}): string {
  const d = new Document(doc, { aliasDuplicateObjects: false });
  const steps = d.get('steps', true);
  if (isSeq(steps))
    for (const step of steps.items)
      if (isMap(step))
        for (const pair of step.items) {
          const value = pair.value as Node | null;
          if (isMap(value) || isSeq(value)) value.flow = true;
        }
  const hosts = d.get('hosts', true);
  if (isMap(hosts))
    for (const pair of hosts.items) {
      const value = pair.value as Node | null;
      if (isMap(value)) value.flow = true;
    }
  const head = [
    ...(options.schema !== undefined ? [`# yaml-language-server: $schema=${options.schema}`] : []),
    ...(options.comment ?? '')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => `# ${l}`),
  ];
  const body = d.toString({ lineWidth: 110, flowCollectionPadding: true });
  return `${head.map((l) => `${l}\n`).join('')}${body}`;
}
