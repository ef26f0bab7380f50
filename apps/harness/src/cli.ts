#!/usr/bin/env node
import { PROCESS_IO, runCli } from './cli/exit-codes.js';
import { createProgram } from './cli/program.js';

await runCli(createProgram(), process.argv, PROCESS_IO);
