/**
 * The console report: a header naming the machine, then per suite a timing table (median per
 * operation, p75 and p99, ops/s, the subject's ratio to each peer against its target) and, when
 * the suite measures memory, a memory table.
 */
import Table from 'cli-table3';
import picocolors from 'picocolors';
import {
  forksText,
  forkValues,
  formatBytes,
  formatNs,
  formatRate,
  formatRatio,
  perForkText,
} from './format.js';
import type { RatioResult, RunResult, SlowdownResult, SuiteResult } from './results.js';
import type { MemoryReport } from './suite.js';

type Colors = ReturnType<typeof picocolors.createColors>;

/** No rule between body rows. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/** The whole report as text. `color` defaults to what picocolors detects for stdout. */
export function formatReport(run: RunResult, color = picocolors.isColorSupported): string {
  const c = picocolors.createColors(color);
  const env = run.environment;
  const lines = [
    c.bold(`heapkit bench — ${run.mode} mode, seed ${run.seed}, ${run.date}`),
    c.dim(
      `Node ${env.node} (V8 ${env.v8}), ${env.cpuModel}, ${env.cores} cores, ` +
        `${env.os.type} ${env.os.release} ${env.os.arch}`,
    ),
  ];
  for (const suite of run.suites) lines.push('', formatSuite(suite, run, c));
  return `${lines.join('\n')}\n`;
}

function formatSuite(suite: SuiteResult, run: RunResult, c: Colors): string {
  // A suite without ratios (`Suite.subjectRatios: false`, or every peer skipped) has no ratio columns.
  const withRatios = suite.ratios.length > 0;
  const ratioHead = withRatios ? [`${suite.subject} ÷ case`, 'target'] : [];
  const table = new Table({
    head: ['case', `median/${suite.opName}`, 'p75', 'p99', 'ops/s', 'samples', ...ratioHead, ''].map((h) =>
      c.bold(h),
    ),
    colAligns: [
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      ...ratioHead.map(() => 'right' as const),
      'left',
    ],
    style: { head: [], border: [] },
    chars: COMPACT,
  });
  for (const row of suite.cases) {
    const ratio = suite.ratios.find((r) => r.peer === row.name);
    const ratioCells = [
      ratio === undefined ? c.dim('—') : formatRatio(ratio.ratio),
      ratio?.target == null ? '' : `≥ ${formatRatio(ratio.target)}`,
    ];
    table.push([
      row.name === suite.subject ? c.bold(row.name) : row.name,
      formatNs(row.medianNs),
      formatNs(row.p75Ns),
      formatNs(row.p99Ns),
      formatRate(row.opsPerSec),
      row.samples,
      ...(withRatios ? ratioCells : []),
      status(ratio, c),
    ]);
  }
  for (const row of suite.skipped) {
    const none = c.dim('—');
    const ratioCells = withRatios ? [none, ''] : [];
    table.push([row.name, none, none, none, none, none, ...ratioCells, c.yellow(`skipped: ${row.reason}`)]);
  }
  const parts = [
    `${c.bold(suite.name)} — ${suite.description}`,
    table.toString(),
    c.dim(
      ratioNote(suite) +
        `One sample = ${suite.opsPerCall} ${suite.opName}s; cases interleaved over ${run.settings.rounds} rounds ` +
        `after ${run.settings.warmupRounds} warm-up round(s)${forksText(suite)}. ` +
        `Suite took ${(suite.durationMs / 1000).toFixed(1)} s.`,
    ),
  ];
  if (suite.forks > 1 && suite.ratios.length > 0) parts.push(c.dim(perForkText(suite.ratios)));
  if (suite.slowdowns.length > 0) parts.push(formatSlowdowns(suite.slowdowns, suite.forks, c));
  if (suite.details.length > 0) parts.push(suite.details.join('\n'));
  if (suite.memory !== null) parts.push(formatMemory(suite.memory, c));
  return parts.join('\n');
}

function formatSlowdowns(slowdowns: readonly SlowdownResult[], forks: number, c: Colors): string {
  const perFork = forks > 1 ? ['per fork'] : [];
  const table = new Table({
    head: ['case', 'baseline', 'case ÷ baseline', 'target', '', ...perFork].map((h) => c.bold(h)),
    colAligns: ['left', 'left', 'right', 'right', 'left', 'left'],
    style: { head: [], border: [] },
    chars: COMPACT,
  });
  for (const s of slowdowns) {
    table.push([
      s.case,
      s.baseline,
      formatRatio(s.ratio),
      s.maxRatio === null ? '' : `≤ ${formatRatio(s.maxRatio)}`,
      s.met === null ? '' : s.met ? c.green('met') : c.red('not met'),
      ...(forks > 1 ? [c.dim(forkValues(s.perFork))] : []),
    ]);
  }
  const title =
    forks > 1
      ? `Slowdown: median time per operation ÷ the baseline's, in each fork; the median of the ${forks} forks'`
      : `Slowdown: median time per operation ÷ the baseline's`;
  return [title, table.toString()].join('\n');
}

function formatMemory(memory: MemoryReport, c: Colors): string {
  const table = new Table({
    head: ['case', 'footprint', 'ratio', 'target', '', 'note'].map((h) => c.bold(h)),
    colAligns: ['left', 'right', 'right', 'right', 'left', 'left'],
    style: { head: [], border: [] },
    chars: COMPACT,
  });
  for (const f of memory.figures) {
    const met = f.ratio === null || f.maxRatio === null ? null : f.ratio <= f.maxRatio;
    table.push([
      f.case,
      f.footprintBytes === null ? c.dim('n/a') : formatBytes(f.footprintBytes),
      f.ratio === null ? c.dim('n/a') : f.ratio.toFixed(3),
      f.maxRatio === null ? '' : `≤ ${f.maxRatio.toFixed(2)}`,
      met === null ? '' : met ? c.green('met') : c.red('not met'),
      f.note === null ? '' : c.dim(f.note),
    ]);
  }
  const title = `Memory: ${memory.description} (requested ${formatBytes(memory.requestedBytes)})`;
  return [title, ...(memory.note === null ? [] : [c.yellow(memory.note)]), table.toString()].join('\n');
}

/** What the ratio column means, or nothing when the suite has no ratios (see `Suite.subjectRatios`). */
function ratioNote(suite: SuiteResult): string {
  if (suite.ratios.length === 0) return '';
  return `${suite.subject} ÷ case = ${suite.subject} ops/s ÷ case ops/s at the medians. `;
}

function status(ratio: RatioResult | undefined, c: Colors): string {
  if (ratio === undefined || ratio.met === null) return '';
  return ratio.met ? c.green('met') : c.red('not met');
}
