import { describe, expect, it } from 'vitest';
import type { Interpreter } from './interpreter.js';
import { capture, settledBytes } from './test-support/run.js';
import { fixnum, type Val } from './value.js';

/** Registers (probe) that records bytes in use and live objects. */
function probe(interp: Interpreter): { bytes: number[]; objects: number[] } {
  const samples = { bytes: [] as number[], objects: [] as number[] };
  interp.definePrimitive({
    name: 'probe',
    minArgs: 0,
    maxArgs: 0,
    fn: (i): Val => {
      samples.bytes.push(i.heap.bytesInUse());
      samples.objects.push(i.heap.space.liveObjects());
      return fixnum(0);
    },
  });
  return samples;
}

function evaluate(source: string): string {
  const { interp, out } = capture();
  const result = interp.runSource(source, 'test.scm');
  return out() + result;
}

describe('the evaluator', () => {
  it.each([
    ['(+ 1 2 3)', '6'],
    ['(- 10 1 2)', '7'],
    ['(- 5)', '-5'],
    ['(* 1.5 2)', '3.0'],
    ['(/ 7 2)', '3.5'],
    ['(/ 8 2)', '4'],
    ['(quotient 17 5) ', '3'],
    ['(modulo -7 3)', '2'],
    ['(* 1073741823 4)', '4294967292.0'],
    // Fixnums are 30-bit ((n << 2) | 1): the extremes are exact, beyond them a float.
    ['(+ 536870910 1)', '536870911'],
    ['(- -536870911 1)', '-536870912'],
    ['(+ 536870911 1)', '536870912.0'],
    ['(- -536870912 1)', '-536870913.0'],
    ["(vector 536870911 -536870912 '() #t)", '#(536870911 -536870912 () #t)'],
    ["(car '(1 2))", '1'],
    ["(cdr '(1 2))", '(2)'],
    ['(cons 1 2)', '(1 . 2)'],
    ["(append '(1) '(2 3) '() '(4))", '(1 2 3 4)'],
    ["(length '(1 2 3))", '3'],
    ["(reverse '(1 2 3))", '(3 2 1)'],
    ["(map + '(1 2) '(10 20))", '(11 22)'],
    ['(let ((v (make-vector 3 \'a))) (vector-set! v 1 "b") v)', '#(a "b" a)'],
    ['(vector->list (vector 1 2))', '(1 2)'],
    ['(string-append "ab" "cd")', '"abcd"'],
    ["(symbol->string 'abc)", '"abc"'],
    ['(eq? \'a (string->symbol "a"))', '#t'],
    ['(equal? \'(1 #(2 "x")) (list 1 (vector 2 "x")))', '#t'],
    ['(eqv? 1.5 1.5)', '#t'],
    ["(assq 'b '((a 1) (b 2)))", '(b 2)'],
    ["(member '(1) '(0 (1) 2))", '((1) 2)'],
    ['(let* ((x 1) (y (+ x 1))) (* x y))', '2'],
    ['(letrec ((f (lambda (n) (if (= n 0) 1 (* n (f (- n 1))))))) (f 5))', '120'],
    ['(let loop ((i 0) (acc 0)) (if (< i 10) (loop (+ i 1) (+ acc i)) acc))', '45'],
    ["(cond ((assv 2 '((1 . a) (2 . b))) => cdr) (else 0))", ''],
    ["(cond ((> 1 2) 'a) ((< 1 2) 'b) (else 'c))", 'b'],
    ['(cond (#f 1) (2))', '2'],
    ["(and 1 2 'x)", 'x'],
    ['(or #f #f)', '#f'],
    ['(when (> 2 1) (display "yes") 5)', 'yes5'],
    ['(begin (define x 1) (set! x (+ x 1)) x)', '2'],
    ['(define (f a . rest) (list a rest)) (f 1 2 3)', '(1 (2 3))'],
    ['(apply max 1 (list 5 2))', '5'],
    ['(define (g) (define a 1) (define (h) (* a 10)) (h)) (g)', '10'],
    ['(display "a\\tb") (newline) (write "q\\"")', 'a\tb\n"q\\""'],
    ['(number->string 42)', '"42"'],
    ["(list 'quote 'x)", '(quote x)'],
    ['(filter odd? (list 1 2 3 4 5))', '(1 3 5)'],
    ['(fold-left + 0 (list 1 2 3))', '6'],
    ['#| block |# (+ 1 #;(ignored) 2)', '3'],
    ['[let ([x 2]) (* x x)]', '4'],
  ])('%s → %s', (source, expected) => {
    if (source.includes('=>')) {
      expect(() => evaluate(source)).toThrow(/=> is not supported/);
      return;
    }
    expect(evaluate(source)).toBe(expected);
  });

  it('runs a million-iteration tail-recursive loop in constant heap', () => {
    const { interp } = capture();
    const samples = probe(interp);
    interp.runSource(
      `(define (loop i acc)
         (if (= (remainder i 50000) 0) (probe))
         (if (= i 0) acc (loop (- i 1) (+ acc 1.5))))
       (loop 1000000 0)`,
      'loop.scm',
    );
    expect(samples.bytes.length).toBe(21);
    expect(new Set(samples.bytes.slice(1)).size).toBe(1);
    expect(new Set(samples.objects.slice(1)).size).toBe(1);
    expect(interp.callDepth).toBe(0);
  });

  it('runs mutual tail recursion (even?/odd?) without growing anything', () => {
    const { interp } = capture();
    const result = interp.runSource(
      `(define (ev? n) (if (= n 0) #t (od? (- n 1))))
       (define (od? n) (if (= n 0) #f (ev? (- n 1))))
       (ev? 1000001)`,
      'parity.scm',
    );
    expect(result).toBe('#f');
  });

  it('runs a deep non-tail recursion without using the JS stack, and returns to the same heap', () => {
    const { interp } = capture();
    const before = settledBytes(interp);
    const samples = probe(interp);
    interp.runSource(
      `(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))
       (define (build n) (if (= n 0) '() (cons n (build (- n 1)))))
       (define (again k) (if (> k 0) (begin (count 100000) (length (build 50000)) (probe) (again (- k 1)))))
       (again 3)`,
      'deep.scm',
    );
    expect(interp.runSource('(count 200000)', 'deep.scm')).toBe('200000');
    expect(samples.bytes.length).toBe(3);
    expect(new Set(samples.bytes).size).toBe(1);
    expect(new Set(samples.objects).size).toBe(1);
    interp.reset();
    expect(settledBytes(interp)).toBe(before);
  });

  it('a recursion deeper than maxDepth is a Scheme error, not a JS RangeError', () => {
    const { interp } = capture({ maxDepth: 1000 });
    expect(() => interp.runSource('(define (f n) (+ 1 (f n)))\n(f 1)', 'inf.scm')).toThrow(
      'inf.scm:1: maximum recursion depth exceeded (1000)',
    );
    interp.heap.validate();
  });
});
