import { describe, expect, it } from 'vitest';
import { SchemeError } from './errors.js';
import { bytesAfterReset, capture, settledBytes } from './test-support/run.js';

const CASES: [kind: string, source: string, message: string][] = [
  ['unbound-variable', '(define x 1)\n(+ x y)', 'bad.scm:2: unbound variable: y'],
  [
    'unbound-variable',
    '(define (f)\n  (define a b)\n  (define b 1)\n  a)\n(f)',
    'bad.scm:2: b: used before its definition',
  ],
  ['wrong-type', '(define (f l)\n  (car l))\n(f 5)', 'bad.scm:2: car: expected a pair, got 5'],
  ['wrong-type', '(define p 5)\n\n(p 1 2)', 'bad.scm:3: not a procedure: 5'],
  ['wrong-type', '(vector-ref (vector 1) "0")', 'bad.scm:1: vector-ref: expected a number, got "0"'],
  ['range', '(vector-ref (vector 1 2) 2)', 'bad.scm:1: vector-ref: index 2 out of range [0, 2)'],
  ['arity', '(define (f a b) a)\n(f 1)', 'bad.scm:2: f: expected 2 arguments, got 1'],
  ['bad-syntax', '(display 1)\n(if)', 'bad.scm:2: bad syntax: (if test then [else])'],
  ['bad-syntax', '(let ((x)) x)', 'bad.scm:1: bad syntax: a binding is (name value)'],
  ['bad-syntax', '(lambda (x 1) x)', 'bad.scm:1: bad syntax: a parameter must be a symbol'],
  [
    'bad-syntax',
    '(define (f)\n  (if #t (define y 1))\n  y)',
    'bad.scm:2: bad syntax: define is only allowed at the start of a body or at top level',
  ],
  ['read-error', '(display "x")\n(car (list 1)', 'bad.scm:2: unterminated list (opened on line 2)'],
  ['read-error', '(list 1))', "bad.scm:1: unexpected ')'"],
  [
    'user',
    '(define (check x)\n  (if (< x 0) (error "negative:" x) x))\n(check -4)',
    'bad.scm:2: negative: -4',
  ],
];

describe('errors in Scheme programs', () => {
  it.each(CASES)('%s: %s', (kind, source, message) => {
    const { interp } = capture();
    const before = settledBytes(interp);
    let caught: unknown;
    try {
      interp.runSource(source, 'bad.scm');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SchemeError);
    const error = caught as SchemeError;
    expect(error.kind).toBe(kind);
    expect(error.message).toBe(message);
    expect(error.file).toBe('bad.scm');
    interp.heap.validate();
    expect(interp.callDepth).toBe(0);
    // The interpreter goes on working, and nothing leaked from the interrupted program.
    expect(interp.runSource('(length (list 1 2 3))', 'after.scm')).toBe('3');
    expect(bytesAfterReset(interp)).toBe(before);
    interp.heap.validate();
  });

  it('an error deep in a non-tail recursion drops every frame it held', () => {
    const { interp } = capture();
    const before = settledBytes(interp);
    expect(() =>
      interp.runSource(
        "(define (f n)\n  (if (= n 0)\n      (car '())\n      (cons (make-vector 3 n) (f (- n 1)))))\n(f 10000)",
        'deep.scm',
      ),
    ).toThrow('deep.scm:3: car: expected a pair, got ()');
    interp.heap.validate();
    expect(bytesAfterReset(interp)).toBe(before);
  });

  it('out of memory under a heap limit is a Scheme error with the line, and the heap stays valid', () => {
    for (const debug of [false, true]) {
      const { interp } = capture({ heapLimit: 4 << 20, debug });
      const before = settledBytes(interp);
      let caught: unknown;
      try {
        interp.runSource(
          [
            "(define big '())",
            '(define (grow n)',
            '  (set! big (cons (make-vector 100 n) big))',
            '  (grow (+ n 1)))',
            '(grow 0)',
          ].join('\n'),
          'oom.scm',
        );
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SchemeError);
      expect((caught as SchemeError).kind).toBe('out-of-memory');
      expect((caught as SchemeError).message).toMatch(
        /^oom\.scm:3: out of memory \(heap limit 4194304 bytes\)$/,
      );
      interp.heap.validate();
      expect(bytesAfterReset(interp)).toBe(before);
      // Memory is usable again once the program's data is gone.
      expect(interp.runSource('(vector-length (make-vector 1000 0))', 'after.scm')).toBe('1000');
      interp.heap.validate();
    }
  });

  it('out of memory while reading or in a primitive building a list leaks nothing', () => {
    const { interp } = capture({ heapLimit: 2 << 20 });
    const before = settledBytes(interp);
    const items = Array.from({ length: 60000 }, (_, i) => `"item number ${i}"`).join(' ');
    expect(() => interp.runSource(`(define l '(${items}))`, 'big.scm')).toThrow(/out of memory/);
    interp.heap.validate();
    expect(bytesAfterReset(interp)).toBe(before);
    expect(() =>
      interp.runSource(
        '(define v (make-vector 20000 1))\n(define l (vector->list v))\n(define l2 (append l l l l))',
        'prim.scm',
      ),
    ).toThrow(/out of memory/);
    interp.heap.validate();
    expect(bytesAfterReset(interp)).toBe(before);
  });
});
