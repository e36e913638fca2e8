/**
 * The Markdown summary of a run: `results/latest.md` after every run, and `RESULTS.md` (the
 * tracked copy the root README links to) after a published one. It holds what the console
 * report holds: the environment, then per suite the timing table with the subject's ratio to
 * each peer against its target, and the memory table, plus the chart when there is one.
 */
import {
  forksText,
  forkValues,
  formatBytes,
  formatNs,
  formatRate,
  formatRatio,
  perForkText,
} from './format.js';
import type { RunResult, SuiteResult } from './results.js';
import type { MemoryReport } from './suite.js';

export interface MarkdownOptions {
  /** Path of the chart relative to the Markdown file (e.g. `latest.svg`), or null for none. */
  readonly chart: string | null;
  /** Path of `bench/README.md` relative to the Markdown file. */
  readonly readme: string;
}

/** The whole summary as Markdown text. */
export function formatMarkdown(run: RunResult, options: MarkdownOptions): string {
  const env = run.environment;
  const s = run.settings;
  const met = run.suites.flatMap((suite) => suite.ratios).filter((r) => r.met !== null);
  const slowdownsMet = run.suites.flatMap((suite) => suite.slowdowns).filter((r) => r.met !== null);
  const lines = [
    '# heapkit benchmark results',
    '',
    `<!-- Written by \`pnpm bench\` (bench/src/markdown.ts); do not edit by hand. -->`,
    '',
    `${capitalize(run.mode)} run of ${run.date}, seed ${run.seed}: ` +
      `${met.filter((r) => r.met).length} of ${met.length} throughput targets met` +
      (slowdownsMet.length === 0
        ? '. '
        : `, ${slowdownsMet.filter((r) => r.met).length} of ${slowdownsMet.length} slowdown targets met. `) +
      `See [bench/README.md](${options.readme}) for what each suite measures and how the ` +
      'comparison is kept fair.',
    '',
    row(['environment', '']),
    row(['---', '---']),
    row(['Node', `${env.node} (V8 ${env.v8})`]),
    row(['CPU', `${env.cpuModel}, ${env.cores} cores`]),
    row(['OS', `${env.os.type} ${env.os.release} ${env.os.arch}`]),
    row(['memory', formatBytes(env.totalMemoryBytes)]),
    row([
      'mode',
      `${run.mode}: ${s.warmupRounds} warm-up round(s), ${s.rounds} measured rounds of ${s.roundMs} ms ` +
        'per case, interleaved',
    ]),
  ];
  if (options.chart !== null) {
    lines.push('', `![heapkit's throughput ratio to each peer, per suite](${options.chart})`);
  }
  for (const suite of run.suites) lines.push('', ...formatSuite(suite, run));
  return `${lines.join('\n')}\n`;
}

function formatSuite(suite: SuiteResult, run: RunResult): string[] {
  // A suite without ratios (`Suite.subjectRatios: false`, or every peer skipped) has no ratio columns.
  const withRatios = suite.ratios.length > 0;
  const head = ['case', `median/${suite.opName}`, 'p75', 'p99', 'ops/s', 'samples'];
  const lines = [
    `## \`${suite.name}\` — ${cell(suite.description)}`,
    '',
    row(withRatios ? [...head, `${suite.subject} ÷ case`, 'target', 'met'] : head),
    row(['---', '---:', '---:', '---:', '---:', '---:', ...(withRatios ? ['---:', '---:', '---'] : [])]),
  ];
  for (const c of suite.cases) {
    const ratio = suite.ratios.find((r) => r.peer === c.name);
    const ratioCells = [
      ratio === undefined ? '—' : formatRatio(ratio.ratio),
      ratio?.target == null ? '' : `≥ ${formatRatio(ratio.target)}`,
      metText(ratio?.met ?? null),
    ];
    lines.push(
      row([
        c.name === suite.subject ? `**${c.name}**` : c.name,
        formatNs(c.medianNs),
        formatNs(c.p75Ns),
        formatNs(c.p99Ns),
        formatRate(c.opsPerSec),
        String(c.samples),
        ...(withRatios ? ratioCells : []),
      ]),
    );
  }
  for (const c of suite.skipped)
    lines.push(row([c.name, `skipped: ${c.reason}`, '', '', '', '', ...(withRatios ? ['', '', ''] : [])]));
  const seconds = (suite.durationMs / 1000).toFixed(1);
  lines.push(
    '',
    (suite.ratios.length === 0
      ? ''
      : `${suite.subject} ÷ case = ${suite.subject} ops/s ÷ case ops/s at the medians. `) +
      `One sample = ${suite.opsPerCall} ${suite.opName}s; cases interleaved over ${run.settings.rounds} rounds after ` +
      `${run.settings.warmupRounds} warm-up round(s)${forksText(suite)}; the suite took ${seconds} s.` +
      (suite.forks > 1 && suite.ratios.length > 0 ? ` ${perForkText(suite.ratios)}` : ''),
    '',
    '<details><summary>What each case does</summary>',
    '',
    ...[...suite.cases, ...suite.skipped].map((c) => `- \`${c.name}\`: ${cell(c.description)}`),
    '',
    '</details>',
  );
  if (suite.slowdowns.length > 0) {
    lines.push(
      '',
      suite.forks > 1
        ? `### Slowdown: median time per operation ÷ the baseline's, the median of the ${suite.forks} forks'`
        : "### Slowdown: median time per operation ÷ the baseline's",
      '',
      row(['case', 'baseline', 'case ÷ baseline', 'target', 'met', ...(suite.forks > 1 ? ['per fork'] : [])]),
      row(['---', '---', '---:', '---:', '---', ...(suite.forks > 1 ? ['---'] : [])]),
      ...suite.slowdowns.map((s) =>
        row([
          s.case,
          s.baseline,
          formatRatio(s.ratio),
          s.maxRatio === null ? '' : `≤ ${formatRatio(s.maxRatio)}`,
          metText(s.met),
          ...(suite.forks > 1 ? [forkValues(s.perFork)] : []),
        ]),
      ),
    );
  }
  if (suite.details.length > 0) lines.push('', ...suite.details.map((line) => `- ${cell(line)}`));
  if (suite.memory !== null) lines.push('', ...formatMemory(suite.memory));
  return lines;
}

function formatMemory(memory: MemoryReport): string[] {
  const lines = [
    `### Memory: ${cell(memory.description)} (requested ${formatBytes(memory.requestedBytes)})`,
    '',
  ];
  if (memory.note !== null) lines.push(`_${cell(memory.note)}_`, '');
  lines.push(
    row(['case', 'footprint', 'ratio', 'target', 'met', 'note']),
    row(['---', '---:', '---:', '---:', '---', '---']),
  );
  for (const f of memory.figures) {
    const met = f.ratio === null || f.maxRatio === null ? null : f.ratio <= f.maxRatio;
    lines.push(
      row([
        f.case,
        f.footprintBytes === null ? 'n/a' : formatBytes(f.footprintBytes),
        f.ratio === null ? 'n/a' : f.ratio.toFixed(3),
        f.maxRatio === null ? '' : `≤ ${f.maxRatio.toFixed(2)}`,
        metText(met),
        f.note ?? '',
      ]),
    );
  }
  return lines;
}

/** A table row: `| a | b |`, each cell made safe with {@link cell}. */
function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function metText(met: boolean | null): string {
  return met === null ? '' : met ? '✅ met' : '❌ not met';
}

/** Text made safe for a table cell or heading: no pipes or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
