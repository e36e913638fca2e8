#!/usr/bin/env node
/** The `mini-scheme` executable: see `cli-program.ts`. */
import { runCli } from './cli-program.js';

process.exitCode = await runCli(process.argv.slice(2), process);
