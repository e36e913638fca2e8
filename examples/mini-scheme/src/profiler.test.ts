import { describe, expect, it } from 'vitest';
import { capture, examplePath } from './test-support/run.js';

describe('tracemalloc with Scheme frames', () => {
  it('pinpoints the leaking line of leak.scm by Scheme file and line', () => {
    const { interp } = capture({ traceFrames: 1 });
    interp.runFile(examplePath('leak.scm'), 'leak.scm');
    const stats = interp.heap.profiler.takeSnapshot().statistics('lineno');
    const top = stats[0]!;
    expect(top.traceback.frames[0]!.filename).toBe('leak.scm');
    expect(top.traceback.frames[0]!.lineno).toBe(7); // (let ((record (vector id (number->string id) (list ...
    expect(top.count).toBeGreaterThanOrEqual(4 * 20000 - 100);
    const second = stats[1]!;
    expect(`${second.traceback}`).toBe('leak.scm:8'); // (set! *seen* (cons record *seen*))
    interp.heap.profiler.stop();
  });

  it('gives each object the traceback of the Scheme calls that allocated it', () => {
    const { interp } = capture({ traceFrames: 5 });
    interp.runSource(
      [
        '(define (make-point x y)',
        '  (vector x y))',
        '(define (origin)',
        '  (let ((p (make-point 0 0))) p))',
        '(define p (origin))',
      ].join('\n'),
      'points.scm',
    );
    const p = interp.getGlobal('p')!;
    const traceback = interp.heap.profiler.getObjectTraceback(interp.heap.space.blockOf(p))!; // the block starts at the GC pre-header
    // (origin)'s call of make-point is not a tail call (a let binds its result), so its frame shows.
    expect(traceback.format(null, true)).toEqual([
      '  File "points.scm", line 2',
      '  File "points.scm", line 4',
      '  File "points.scm", line 5',
    ]);
    interp.heap.profiler.stop();
  });

  it('statistics by file and by line add up to the traced memory', () => {
    const { interp } = capture({ traceFrames: 1 });
    interp.runFile(examplePath('binary-trees.scm'), 'binary-trees.scm');
    const snapshot = interp.heap.profiler.takeSnapshot();
    const byLine = snapshot.statistics('lineno');
    const [current] = interp.heap.profiler.getTracedMemory();
    expect(byLine.reduce((a, s) => a + s.size, 0)).toBe(current);
    const lines = byLine
      .filter((s) => s.traceback.frames[0]!.filename === 'binary-trees.scm')
      .map((s) => s.traceback.frames[0]!.lineno);
    // The long-lived tree's pairs, made on the two lines of make-tree.
    expect(lines.slice(0, 2).sort()).toEqual([7, 8]);
    interp.heap.profiler.stop();
  });
});

describe('proper tail calls in tracebacks', () => {
  it('a tail call replaces the caller frame, as the evaluator does', () => {
    const { interp } = capture({ traceFrames: 5 });
    interp.runSource('(define (mk) (vector 1 2))\n(define (via) (mk))\n(define v (via))', 'tail.scm');
    const traceback = interp.heap.profiler.getObjectTraceback(
      interp.heap.space.blockOf(interp.getGlobal('v')!),
    )!;
    expect(traceback.format(null, true)).toEqual(['  File "tail.scm", line 1', '  File "tail.scm", line 3']);
  });
});
