/**
 * Grouping traces into statistics: what `Snapshot.statistics` and `Snapshot.compareTo` share.
 * Follows `Snapshot._group_by` and `_compare_grouped_stats` of CPython's `Lib/tracemalloc.py`:
 * by `'traceback'` the whole traceback is the key; by `'lineno'` the most recent frame; by
 * `'filename'` the most recent frame's file with line 0. Beyond CPython, by `'function'` the most
 * recent frame's function and file, line 0 (frames whose function is not known group by file). `cumulative` counts a trace once for
 * *every* frame of its traceback (so a file on the stack twice counts twice, as in CPython).
 */
import { InvalidArgumentError } from './errors.js';
import { Frame, Traceback } from './frame.js';
import type { Trace } from './trace.js';

/**
 * How `statistics` groups traces (tracemalloc's `key_type`; `'function'` is not in CPython: the
 * most recent frame's function and file).
 */
export type KeyType = 'filename' | 'lineno' | 'traceback' | 'function';

/** The key types, in the order error messages list them. */
export const KEY_TYPES: readonly KeyType[] = ['filename', 'lineno', 'traceback', 'function'];

/** Running totals of one group: weighted sums, rounded when the statistics are built. */
export interface Group {
  readonly traceback: Traceback;
  size: number;
  count: number;
}

/** Checks `keyType` and `cumulative` as `_group_by` does; throws {@link InvalidArgumentError}. */
export function checkKeyType(keyType: unknown, cumulative: unknown): asserts keyType is KeyType {
  if (!KEY_TYPES.includes(keyType as KeyType)) {
    throw new InvalidArgumentError(
      `unknown keyType: ${JSON.stringify(keyType)} (expected 'filename', 'lineno', 'traceback' or 'function')`,
    );
  }
  if (typeof cumulative !== 'boolean') {
    throw new InvalidArgumentError(`cumulative must be a boolean, not ${typeof cumulative}`);
  }
  if (cumulative && keyType === 'traceback') {
    throw new InvalidArgumentError("cumulative mode cannot be used with keyType 'traceback'");
  }
}

/** Groups `traces` by `keyType`; the map's keys are the groups' traceback keys. */
export function groupTraces(
  traces: readonly Trace[],
  keyType: KeyType,
  cumulative: boolean,
): Map<string, Group> {
  const groups = new Map<string, Group>();
  // One key traceback per distinct frame / traceback, shared by the groups that use it.
  const byFrame = new Map<Frame, Traceback>();
  const add = (traceback: Traceback, trace: Trace): void => {
    const group = groups.get(traceback.key);
    if (group === undefined) {
      groups.set(traceback.key, { traceback, size: trace.size * trace.weight, count: trace.weight });
    } else {
      group.size += trace.size * trace.weight;
      group.count += trace.weight;
    }
  };
  const keyOf = (frame: Frame): Traceback => {
    let traceback = byFrame.get(frame);
    if (traceback === undefined) {
      traceback = new Traceback([
        keyType === 'filename'
          ? new Frame(frame.filename, 0)
          : keyType === 'function'
            ? new Frame(frame.filename, 0, frame.functionName)
            : frame,
      ]);
      byFrame.set(frame, traceback);
    }
    return traceback;
  };
  for (const trace of traces) {
    const frames = trace.traceback.frames;
    if (keyType === 'traceback') {
      add(new Traceback(frames), trace);
    } else if (!cumulative) {
      add(keyOf(frames[frames.length - 1]!), trace);
    } else {
      for (const frame of frames) add(keyOf(frame), trace);
    }
  }
  return groups;
}
