#!/usr/bin/env node
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { formatDemoReport, runDemo } from './demo/demo.js';

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff)
    throw new InvalidArgumentError('a seed is an integer in [0, 2^32)');
  return n;
}

const program = new Command()
  .name('vfio-sim')
  .description('A model of the Linux VFIO live-migration stack for HiSilicon accelerator VFs');

program
  .command('demo')
  .description('run the end-to-end demo (whatever the stack can do today)')
  .option('--seed <n>', 'seed for every random choice', parseSeed, 1)
  .option('--json', 'print the report as JSON')
  .action((opts) => {
    const report = runDemo(opts.seed);
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatDemoReport(report));
  });

await program.parseAsync();
