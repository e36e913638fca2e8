/**
 * The two snapshots of `create_snapshots()` in CPython's `Lib/test/test_tracemalloc.py`, built
 * with this package's classes. CPython writes raw traceback tuples most recent frame first;
 * `raw()` takes them in that order and builds a Traceback (oldest first).
 */
import { Frame, Traceback } from '../frame.js';
import { Snapshot } from '../snapshot.js';
import { Trace } from '../trace.js';

type RawFrame = readonly [string, number];

/** A Traceback from CPython-style raw frames, most recent first. */
export function raw(...frames: RawFrame[]): Traceback {
  return new Traceback(frames.map(([f, l]) => new Frame(f, l)).reverse(), frames.length);
}

/** `traceback_lineno(filename, lineno)` of the CPython tests. */
export function tbLineno(filename: string, lineno: number): Traceback {
  return new Traceback([new Frame(filename, lineno)]);
}

/** `traceback_filename(filename)`. */
export function tbFilename(filename: string): Traceback {
  return tbLineno(filename, 0);
}

const AB = [
  ['a.py', 2],
  ['b.py', 4],
] as const satisfies readonly RawFrame[];
const A5B = [
  ['a.py', 5],
  ['b.py', 4],
] as const satisfies readonly RawFrame[];

/** `(domain, size, frames)` of a trace, frames most recent first. */
export function trace(domain: number, size: number, frames: readonly RawFrame[]): Trace {
  return new Trace(domain, size, raw(...frames));
}

export function createSnapshots(): [Snapshot, Snapshot] {
  const snapshot = new Snapshot(
    [
      trace(0, 10, AB),
      trace(0, 10, AB),
      trace(0, 10, AB),
      trace(1, 2, A5B),
      trace(2, 66, [['b.py', 1]]),
      trace(3, 7, [['<unknown>', 0]]),
    ],
    2,
  );
  const snapshot2 = new Snapshot(
    [
      trace(0, 10, AB),
      trace(0, 10, AB),
      trace(0, 10, AB),
      trace(2, 2, A5B),
      trace(2, 5000, A5B),
      trace(4, 400, [['c.py', 578]]),
    ],
    2,
  );
  return [snapshot, snapshot2];
}

/** A trace as CPython's test compares it: `(domain, size, raw frames)`. */
export function rawTrace(t: Trace): [number, number, RawFrame[]] {
  return [t.domain, t.size, [...t.traceback.frames].reverse().map((f) => [f.filename, f.lineno] as RawFrame)];
}
