import { describe, expect, it } from 'vitest';
import { bytesAfterReset, capture, examplePath, settledBytes } from './test-support/run.js';

const EXPECTED: Record<string, string> = {
  'binary-trees.scm': [
    'stretch tree of depth 11\t check: 4095',
    '1024\t trees of depth 4\t check: 31744',
    '256\t trees of depth 6\t check: 32512',
    '64\t trees of depth 8\t check: 32704',
    '16\t trees of depth 10\t check: 32752',
    'long lived tree of depth 10\t check: 2047',
    '',
  ].join('\n'),
  'cycles.scm': 'counted: 10000\nparity of 7: odd\ncollected by a full collection: #t\n',
  'leak.scm': 'served: 199990000\nremembered: 20000\n',
};

describe('the example programs', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name} prints what it should and leaves the heap as it found it`, () => {
      const { interp, out } = capture();
      const before = settledBytes(interp);
      const objects = interp.heap.space.liveObjects();
      interp.runFile(examplePath(name), name);
      expect(out()).toBe(expected);
      interp.heap.validate();
      expect(bytesAfterReset(interp)).toBe(before);
      expect(interp.heap.space.liveObjects()).toBe(objects);
      interp.heap.validate();
    });
  }

  it('closure cycles need the cycle collector: reference counting alone leaves them', () => {
    const { interp } = capture();
    const before = settledBytes(interp);
    interp.heap.gc.disable();
    interp.runSource(
      `(define (make-counter)
         (define n 0)
         (define (inc) (set! n (+ n 1)) n)
         inc)
       (define (churn k) (if (> k 0) (begin ((make-counter)) (churn (- k 1)))))
       (churn 1000)`,
      'churn.scm',
    );
    expect(interp.heap.gc.getCount()[0]).toBeGreaterThan(1000);
    interp.heap.gc.enable();
    // Each counter is an environment and a closure pointing at each other.
    expect(interp.heap.gc.collect()).toBeGreaterThanOrEqual(2000);
    expect(bytesAfterReset(interp)).toBe(before);
  });

  it('runs binary-trees in debug-malloc mode and the heap validates', () => {
    const { interp, out } = capture({ debug: true });
    const before = settledBytes(interp);
    interp.runFile(examplePath('binary-trees.scm'), 'binary-trees.scm');
    expect(out()).toBe(EXPECTED['binary-trees.scm']);
    interp.heap.validate();
    expect(bytesAfterReset(interp)).toBe(before);
  });

  it('the same program twice in one interpreter gives the same output and no growth', () => {
    const { interp, out } = capture();
    const before = settledBytes(interp);
    for (let i = 0; i < 2; i++) {
      interp.runFile(examplePath('cycles.scm'), 'cycles.scm');
      expect(bytesAfterReset(interp)).toBe(before);
    }
    expect(out()).toBe(EXPECTED['cycles.scm']!.repeat(2));
  });
});
