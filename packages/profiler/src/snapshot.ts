/**
 * {@link Snapshot}: the traces of the live blocks at one moment, with tracemalloc's
 * statistics, comparison and filtering, and the binary dump format (`snapshot-codec.ts`).
 */

import { InvalidArgumentError, SnapshotFormatError } from './errors.js';
import { checkFilters, type DomainFilter, type Filter } from './filter.js';
import { checkKeyType, type Group, groupTraces, type KeyType } from './group.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';
import { compareStatisticDiffs, compareStatistics, Statistic, StatisticDiff } from './statistic.js';
import type { Trace } from './trace.js';

/**
 * The traces of the blocks that were live when it was taken. Mirrors `tracemalloc.Snapshot`.
 * Build one with `Profiler.takeSnapshot()` or `Snapshot.load(path)`.
 */
export class Snapshot {
  /** The traces, in no particular order (`traces`). */
  readonly traces: readonly Trace[];
  /** The profiler's `nframe` when the snapshot was taken (`traceback_limit`). */
  readonly tracebackLimit: number;
  /**
   * The mean sampling interval in bytes when the snapshot was taken in sampling mode, or 0 for
   * an exact snapshot (every block traced). Not in CPython.
   */
  readonly samplingInterval: number;

  constructor(traces: readonly Trace[], tracebackLimit: number, samplingInterval = 0) {
    if (!Number.isInteger(tracebackLimit) || tracebackLimit < 1) {
      throw new InvalidArgumentError(
        `Snapshot: tracebackLimit must be a positive integer, got ${tracebackLimit}`,
      );
    }
    if (!(samplingInterval >= 0)) {
      throw new InvalidArgumentError(`Snapshot: samplingInterval must be >= 0, got ${samplingInterval}`);
    }
    this.traces = Object.freeze([...traces]);
    this.tracebackLimit = tracebackLimit;
    this.samplingInterval = samplingInterval;
  }

  /**
   * Statistics grouped by `keyType`, largest first: sorted by size, then count, then traceback,
   * all descending. `cumulative` (not for `'traceback'`) counts each trace for every frame of
   * its traceback. `'function'` (not in CPython) groups by the most recent frame's function and
   * file (its statistics' frames have line 0). Mirrors `Snapshot.statistics(key_type, cumulative=False)`.
   */
  statistics(keyType: KeyType, cumulative = false): Statistic[] {
    checkKeyType(keyType, cumulative);
    const stats = [...groupTraces(this.traces, keyType, cumulative).values()].map(
      (g) => new Statistic(g.traceback, Math.round(g.size), Math.round(g.count)),
    );
    return stats.sort(compareStatistics);
  }

  /**
   * What changed since `old`, grouped by `keyType`: sorted by |sizeDiff|, size, |countDiff|,
   * count, traceback, all descending. Places only in `old` appear with size 0. Mirrors
   * `Snapshot.compare_to(old_snapshot, key_type, cumulative=False)`.
   */
  compareTo(old: Snapshot, keyType: KeyType, cumulative = false): StatisticDiff[] {
    if (!(old instanceof Snapshot)) {
      throw new InvalidArgumentError('compareTo: old must be a Snapshot');
    }
    checkKeyType(keyType, cumulative);
    const newGroups = groupTraces(this.traces, keyType, cumulative);
    const oldGroups = groupTraces(old.traces, keyType, cumulative);
    const diffs: StatisticDiff[] = [];
    for (const [key, group] of newGroups) {
      const previous: Group | undefined = oldGroups.get(key);
      oldGroups.delete(key);
      const size = Math.round(group.size);
      const count = Math.round(group.count);
      const oldSize = previous === undefined ? 0 : Math.round(previous.size);
      const oldCount = previous === undefined ? 0 : Math.round(previous.count);
      diffs.push(new StatisticDiff(group.traceback, size, size - oldSize, count, count - oldCount));
    }
    for (const group of oldGroups.values()) {
      diffs.push(new StatisticDiff(group.traceback, 0, -Math.round(group.size), 0, -Math.round(group.count)));
    }
    return diffs.sort(compareStatisticDiffs);
  }

  /**
   * A new snapshot with only the traces the filters keep: a trace is kept when at least one
   * inclusive filter matches it (or there are none) and no exclusive filter rejects it. An empty
   * list copies the snapshot. Mirrors `Snapshot.filter_traces(filters)`.
   */
  filterTraces(filters: readonly (Filter | DomainFilter)[]): Snapshot {
    const checked = checkFilters(filters);
    const include = checked.filter((f) => f.inclusive);
    const exclude = checked.filter((f) => !f.inclusive);
    const kept = this.traces.filter(
      (trace) =>
        (include.length === 0 || include.some((f) => f.match(trace))) && exclude.every((f) => f.match(trace)),
    );
    return new Snapshot(kept, this.tracebackLimit, this.samplingInterval);
  }

  /** The snapshot in the binary dump format (for browsers, or to send elsewhere). */
  toBytes(): Uint8Array {
    return encodeSnapshot(this);
  }

  /**
   * Reads a snapshot from bytes written by {@link Snapshot.toBytes} or {@link Snapshot.dump}.
   * Throws {@link SnapshotFormatError} naming `source` when they are not a readable snapshot.
   */
  static fromBytes(bytes: Uint8Array, source = '<bytes>'): Snapshot {
    const decoded = decodeSnapshot(bytes, source);
    return new Snapshot(decoded.traces, decoded.tracebackLimit, decoded.samplingInterval);
  }

  /** Writes the snapshot to a file (Node.js). Mirrors `Snapshot.dump(filename)`. */
  dump(path: string): void {
    nodeFs('Snapshot.dump').writeFileSync(path, this.toBytes());
  }

  /**
   * Reads a snapshot written by {@link Snapshot.dump} (Node.js). Mirrors `Snapshot.load(filename)`.
   * Throws {@link SnapshotFormatError} naming the file when it is not a readable snapshot.
   */
  static load(path: string): Snapshot {
    let bytes: Uint8Array;
    try {
      bytes = nodeFs('Snapshot.load').readFileSync(path);
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new SnapshotFormatError(path, `cannot read the file (${code ?? (error as Error).message})`);
    }
    return Snapshot.fromBytes(bytes, path);
  }
}

/** `node:fs`, found without a static import so that the package also loads in browsers. */
function nodeFs(operation: string): typeof import('node:fs') {
  const fs = (
    globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
  ).process?.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
  if (fs === undefined) {
    throw new InvalidArgumentError(
      `${operation} needs Node.js 20.16 or later (process.getBuiltinModule); use toBytes/fromBytes elsewhere`,
    );
  }
  return fs;
}
