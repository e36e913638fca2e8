/**
 * Writes a run's results as JSON: by default `bench/results/<date>-<mode>.json` plus a copy in
 * `bench/results/latest.json` (the folder's `.gitkeep` is committed, the results are not).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from './results.js';

/** `bench/results/`, found from this file (`dist/` or `src/`, one level below the package). */
export const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Where to write: one exact file, or a folder that gets the dated file and `latest.json`. */
export type JsonTarget = { readonly path: string } | { readonly dir: string };

/** `2025-11-24T101530Z-quick.json` for a quick run started at 10:15:30 UTC. */
export function resultFileName(run: RunResult): string {
  const stamp = run.date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
  return `${stamp}-${run.mode}.json`;
}

/** Writes the results and returns the paths written. */
export async function writeResults(run: RunResult, target: JsonTarget): Promise<string[]> {
  const text = `${JSON.stringify(run, null, 2)}\n`;
  const paths =
    'path' in target
      ? [target.path]
      : [join(target.dir, resultFileName(run)), join(target.dir, 'latest.json')];
  for (const path of paths) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return paths;
}
