import { readFileSync } from 'node:fs';
import { createProgram } from '@vfio-sim/cli';
import { describe, expect, it } from 'vitest';

/**
 * The transcripts in the README (`$ pnpm demo …` followed by the output) are what the CLI prints for
 * those arguments, byte for byte: the README's claims stay true.
 */
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const TRANSCRIPTS = [...README.matchAll(/```text\n\$ pnpm demo([^\n]*)\n\n([\s\S]*?)```/g)].map((m) => ({
  args: (m[1] ?? '').trim().split(/\s+/).filter(Boolean),
  output: m[2] ?? '',
}));

async function demo(args: string[]): Promise<string> {
  let out = '';
  const program = createProgram({ stdout: (t) => (out += t), stderr: () => {}, setExitCode: () => {} });
  await program.parseAsync(['node', 'vfio-sim', 'demo', ...args]);
  return out;
}

describe('README transcripts', () => {
  it('the README has the v1 and v2 transcripts', () => {
    expect(TRANSCRIPTS.map((t) => t.args.join(' '))).toEqual(['', '--protocol v2']);
  });

  it.each(TRANSCRIPTS)('`pnpm demo $args` prints what the README shows', async ({ args, output }) => {
    expect(await demo(args)).toBe(output);
  });
});
