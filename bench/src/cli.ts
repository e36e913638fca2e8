#!/usr/bin/env node
/** Entry point of `pnpm bench`: see `--help`, `main.ts` and the README. */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
