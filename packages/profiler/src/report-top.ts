/**
 * The text reports: the top-N table of a snapshot's statistics and of a comparison between two
 * snapshots, in the spirit of the "pretty top" recipe of Python's tracemalloc documentation.
 */
import { InvalidArgumentError } from './errors.js';
import { formatSize } from './format-size.js';
import { frameLabel } from './frame.js';
import { checkKeyType, type KeyType } from './group.js';
import type { Snapshot } from './snapshot.js';
import type { Statistic, StatisticDiff } from './statistic.js';

/** Options of {@link formatTop} and {@link formatTopDiff}. */
export interface TopOptions {
  /** How to group: `'filename'`, `'lineno'`, `'traceback'` or `'function'`. Default `'lineno'`. */
  readonly keyType?: KeyType;
  /** Rows to show; the rest are summed in one "other" line. Default 10. */
  readonly limit?: number;
  /** Count each trace for every frame (not with `'traceback'`). Default false. */
  readonly cumulative?: boolean;
}

function options(o: TopOptions): Required<TopOptions> {
  const keyType = o.keyType ?? 'lineno';
  const cumulative = o.cumulative ?? false;
  checkKeyType(keyType, cumulative);
  const limit = o.limit ?? 10;
  if (!(Number.isInteger(limit) && limit >= 1)) {
    throw new InvalidArgumentError(`limit must be a positive integer, got ${limit}`);
  }
  return { keyType, limit, cumulative };
}

function heading(snapshot: Snapshot, what: string, o: Required<TopOptions>): string {
  const mode =
    snapshot.samplingInterval === 0
      ? 'exact'
      : `sampled every ${formatSize(snapshot.samplingInterval)} on average: sizes and counts are estimates`;
  return `Top ${o.limit} ${what} by ${o.keyType}${o.cumulative ? ' (cumulative)' : ''}; ${snapshot.traces.length} traces, ${mode}`;
}

/** Aligns columns: the first `right` columns right-aligned, the rest left. */
function table(rows: string[][], right: number): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c < right ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** The place of a row: `file`, `function file` or `function file:line` (the function when known). */
function location(stat: Statistic | StatisticDiff, keyType: KeyType): string {
  const frame = stat.traceback.mostRecent;
  if (keyType === 'filename') return frame.filename;
  return frameLabel(frame, { lineno: keyType !== 'function' });
}

function tracebackLines(stat: Statistic | StatisticDiff, keyType: KeyType): string[] {
  return keyType === 'traceback' ? stat.traceback.format(null, true).map((l) => `      ${l}`) : [];
}

/**
 * The top `limit` places of a snapshot, largest first, with size, count and average, then the
 * rest summed and the total. With `keyType: 'traceback'` each row is followed by its traceback,
 * most recent frame first.
 */
export function formatTop(snapshot: Snapshot, topOptions: TopOptions = {}): string {
  const o = options(topOptions);
  const stats = snapshot.statistics(o.keyType, o.cumulative);
  const lines = [heading(snapshot, 'places', o)];
  const rows = [['#', 'size', 'count', 'average', 'location']];
  const shown = stats.slice(0, o.limit);
  const extra: string[][] = [];
  shown.forEach((s, i) => {
    rows.push([
      `${i + 1}`,
      formatSize(s.size),
      `${s.count}`,
      s.count === 0 ? '-' : formatSize(s.size / s.count),
      location(s, o.keyType),
    ]);
    extra.push(tracebackLines(s, o.keyType));
  });
  const body = table(rows, 4);
  lines.push(body[0]!);
  body.slice(1).forEach((row, i) => {
    lines.push(row, ...extra[i]!);
  });
  const rest = stats.slice(o.limit);
  if (rest.length > 0) {
    const size = rest.reduce((n, s) => n + s.size, 0);
    const count = rest.reduce((n, s) => n + s.count, 0);
    lines.push(`${rest.length} other: ${formatSize(size)} in ${count} blocks`);
  }
  const total = o.cumulative ? snapshot.statistics('traceback') : stats;
  lines.push(`Total allocated size: ${formatSize(total.reduce((n, s) => n + s.size, 0))}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The top `limit` changes from `old` to `snapshot`, largest first (by |size change|), with the
 * new size and count and their changes, then the rest summed and the total change.
 */
export function formatTopDiff(snapshot: Snapshot, old: Snapshot, topOptions: TopOptions = {}): string {
  const o = options(topOptions);
  const diffs = snapshot.compareTo(old, o.keyType, o.cumulative);
  const lines = [heading(snapshot, 'differences', o)];
  const rows = [['#', 'size', 'change', 'count', 'change', 'location']];
  const extra: string[][] = [];
  diffs.slice(0, o.limit).forEach((d, i) => {
    rows.push([
      `${i + 1}`,
      formatSize(d.size),
      formatSize(d.sizeDiff, true),
      `${d.count}`,
      d.countDiff >= 0 ? `+${d.countDiff}` : `${d.countDiff}`,
      location(d, o.keyType),
    ]);
    extra.push(tracebackLines(d, o.keyType));
  });
  const body = table(rows, 5);
  lines.push(body[0]!);
  body.slice(1).forEach((row, i) => {
    lines.push(row, ...extra[i]!);
  });
  const rest = diffs.slice(o.limit);
  if (rest.length > 0) {
    const change = rest.reduce((n, d) => n + d.sizeDiff, 0);
    lines.push(`${rest.length} other: ${formatSize(change, true)}`);
  }
  const change = diffs.reduce((n, d) => n + (o.cumulative ? 0 : d.sizeDiff), 0);
  if (!o.cumulative) lines.push(`Total change: ${formatSize(change, true)}`);
  return `${lines.join('\n')}\n`;
}
