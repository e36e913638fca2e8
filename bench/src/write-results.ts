/**
 * Writes a run's results. By default, into `bench/results/` (git-ignored but for `.gitkeep`):
 * `<date>-<mode>.json` and the latest run as `latest.json`, `latest.md` (Markdown summary) and
 * `latest.svg` (chart). `--json PATH` writes the JSON to PATH instead of all of those. A
 * published run also writes the tracked copies `bench/RESULTS.md` and `bench/results.svg`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChartSvg } from './chart.js';
import { formatMarkdown } from './markdown.js';
import type { RunResult } from './results.js';

/** `bench/results/`, found from this file (`dist/` or `src/`, one level below the package). */
export const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
/** `bench/`: where a published run writes `RESULTS.md` and `results.svg`. */
export const DEFAULT_PUBLISH_DIR = fileURLToPath(new URL('../', import.meta.url));

/** Names of the tracked copies in the publish folder. */
export const PUBLISHED_MARKDOWN = 'RESULTS.md';
export const PUBLISHED_CHART = 'results.svg';

export interface OutputTargets {
  /** Write the JSON to this file only, instead of the files in `resultsDir`. */
  readonly jsonPath?: string;
  /** Folder of the dated JSON and `latest.{json,md,svg}` (used when `jsonPath` is not given). */
  readonly resultsDir: string;
  /** Folder of `RESULTS.md` and `results.svg` when the run is published; none when undefined. */
  readonly publishDir?: string;
}

/** `2025-11-24T101530Z-quick.json` for a quick run started at 10:15:30 UTC. */
export function resultFileName(run: RunResult): string {
  const stamp = run.date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
  return `${stamp}-${run.mode}.json`;
}

/** Writes every output the targets ask for and returns the paths written. */
export async function writeOutputs(run: RunResult, targets: OutputTargets): Promise<string[]> {
  const files: [path: string, text: string][] = [];
  const json = `${JSON.stringify(run, null, 2)}\n`;
  if (targets.jsonPath !== undefined) {
    files.push([targets.jsonPath, json]);
  } else {
    const dir = targets.resultsDir;
    files.push(
      [join(dir, resultFileName(run)), json],
      [join(dir, 'latest.json'), json],
      [join(dir, 'latest.md'), formatMarkdown(run, { chart: 'latest.svg', readme: '../README.md' })],
    );
  }
  const needChart = targets.jsonPath === undefined || targets.publishDir !== undefined;
  const svg = needChart ? await renderChartSvg(run) : '';
  if (targets.jsonPath === undefined) files.push([join(targets.resultsDir, 'latest.svg'), svg]);
  if (targets.publishDir !== undefined) {
    files.push(
      [
        join(targets.publishDir, PUBLISHED_MARKDOWN),
        formatMarkdown(run, { chart: PUBLISHED_CHART, readme: 'README.md' }),
      ],
      [join(targets.publishDir, PUBLISHED_CHART), svg],
    );
  }
  for (const [path, text] of files) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return files.map(([path]) => path);
}
