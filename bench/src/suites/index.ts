/**
 * Every suite, in the order a full run takes them. To add one: write `src/suites/NAME.ts`
 * exporting a `Suite`, import it here and append it to `SUITES`.
 */
import type { Suite } from '../suite.js';
import { binaryTrees } from './binary-trees.js';
import { churn } from './churn.js';
import { gc } from './gc.js';
import { profiler } from './profiler.js';
import { workers } from './workers.js';

export const SUITES: readonly Suite[] = [churn, binaryTrees, profiler, gc, workers];

/** The suite of that name, or undefined. */
export function findSuite(name: string): Suite | undefined {
  return SUITES.find((suite) => suite.name === name);
}
