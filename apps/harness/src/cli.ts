#!/usr/bin/env node
import { CommanderError } from '@commander-js/extra-typings';
import { createProgram } from './cli/program.js';

try {
  await createProgram().parseAsync(process.argv);
} catch (e) {
  // A usage error of a command that exits 2 (commander printed the message already): no stack trace.
  if (!(e instanceof CommanderError)) throw e;
  process.exitCode = e.exitCode;
}
