/**
 * The standard library's primitives, written in TypeScript. A primitive gets its arguments as
 * borrowed values on the interpreter's value stack (`args[start .. start + argc)`) and returns
 * a new reference. One that builds a structure from several allocations keeps the part built so
 * far in `interp.scratch`, so an out-of-memory error in the middle leaks nothing.
 */
import { SchemeError } from './errors.js';
import type { SchemeHeap } from './heap.js';
import type { Interpreter } from './interpreter.js';
import { bool, FALSE, fixnum, fixnumValue, isFixnum, NIL, TRUE, UNSPECIFIED, type Val } from './value.js';

/** A procedure implemented in JS. `maxArgs` -1: any number. */
export interface Primitive {
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly fn: (interp: Interpreter, args: Val[], start: number, argc: number) => Val;
}

function wrongType(who: string, expected: string, interp: Interpreter, v: Val): SchemeError {
  return new SchemeError('wrong-type', `${who}: expected ${expected}, got ${interp.format(v)}`);
}

function isNumber(heap: SchemeHeap, v: Val): boolean {
  return isFixnum(v) || heap.is(v, heap.FLONUM);
}

function num(interp: Interpreter, v: Val, who: string): number {
  if (isFixnum(v)) return fixnumValue(v);
  const heap = interp.heap;
  if (heap.is(v, heap.FLONUM)) return heap.flonumValue(v);
  throw wrongType(who, 'a number', interp, v);
}

function int(interp: Interpreter, v: Val, who: string): number {
  const x = num(interp, v, who);
  if (!Number.isInteger(x)) throw wrongType(who, 'an integer', interp, v);
  return x;
}

function pair(interp: Interpreter, v: Val, who: string): Val {
  if (!interp.heap.is(v, interp.heap.PAIR)) throw wrongType(who, 'a pair', interp, v);
  return v;
}

function typed(interp: Interpreter, v: Val, type: number, what: string, who: string): Val {
  if (!interp.heap.is(v, type)) throw wrongType(who, what, interp, v);
  return v;
}

/** Returns `v` as a new reference. */
function ret(heap: SchemeHeap, v: Val): Val {
  heap.incref(v);
  return v;
}

/** The items of a proper list (borrowed). */
function listItems(interp: Interpreter, list: Val, who: string): Val[] {
  const heap = interp.heap;
  const items: Val[] = [];
  let x = list;
  while (heap.is(x, heap.PAIR)) {
    items.push(heap.car(x));
    x = heap.cdr(x);
  }
  if (x !== NIL) throw wrongType(who, 'a proper list', interp, list);
  return items;
}

/** A new list of borrowed `items` ending in borrowed `tail`, built in scratch. */
export function makeList(interp: Interpreter, items: readonly Val[], tail: Val = NIL): Val {
  const heap = interp.heap;
  const scratch = interp.scratch;
  heap.incref(tail);
  scratch.push(tail);
  const top = scratch.length - 1;
  for (let i = items.length - 1; i >= 0; i--) {
    const next = heap.cons(items[i]!, scratch[top]!);
    heap.decref(scratch[top]!);
    scratch[top] = next;
  }
  return scratch.pop()!;
}

/** eqv?: eq?, plus numbers by value and strings never (R7RS). */
function eqv(heap: SchemeHeap, a: Val, b: Val): boolean {
  if (a === b) return true;
  return heap.is(a, heap.FLONUM) && heap.is(b, heap.FLONUM) && heap.flonumValue(a) === heap.flonumValue(b);
}

/** equal?: structural, with an explicit stack (no recursion). */
export function equal(heap: SchemeHeap, a: Val, b: Val): boolean {
  const stack: Val[] = [a, b];
  while (stack.length > 0) {
    const y = stack.pop()!;
    const x = stack.pop()!;
    if (eqv(heap, x, y)) continue;
    const t = heap.typeOf(x);
    if (t === 0 || t !== heap.typeOf(y)) return false;
    if (t === heap.PAIR) {
      stack.push(heap.cdr(x), heap.cdr(y), heap.car(x), heap.car(y));
    } else if (t === heap.VECTOR) {
      const n = heap.length(x);
      if (n !== heap.length(y)) return false;
      for (let i = 0; i < n; i++) stack.push(heap.vectorRef(x, i), heap.vectorRef(y, i));
    } else if (t === heap.STRING) {
      if (heap.text(x) !== heap.text(y)) return false;
    } else {
      return false;
    }
  }
  return true;
}

type Fn = Primitive['fn'];

/** The standard primitives. */
export function standardPrimitives(): Primitive[] {
  const list: Primitive[] = [];
  const def = (name: string, minArgs: number, maxArgs: number, fn: Fn) =>
    list.push({ name, minArgs, maxArgs, fn });

  // --- numbers ---------------------------------------------------------------------------------
  const arith = (
    name: string,
    unit: number,
    op: (a: number, b: number) => number,
    unary?: (a: number) => number,
  ) =>
    def(name, unary ? 1 : 0, -1, (interp, args, start, argc) => {
      const heap = interp.heap;
      let inexact = false;
      let acc = unit;
      for (let i = 0; i < argc; i++) {
        const v = args[start + i]!;
        const x = num(interp, v, name);
        if (!isFixnum(v)) inexact = true;
        acc = i === 0 && unary ? (argc === 1 ? unary(x) : x) : op(acc, x);
      }
      return heap.makeNumber(acc, inexact);
    });
  arith('+', 0, (a, b) => a + b);
  arith('*', 1, (a, b) => a * b);
  arith(
    '-',
    0,
    (a, b) => a - b,
    (a) => -a,
  );
  def('/', 1, -1, (interp, args, start, argc) => {
    let acc = num(interp, args[start]!, '/');
    let inexact = !isFixnum(args[start]!);
    if (argc === 1) acc = 1 / acc;
    for (let i = 1; i < argc; i++) {
      const v = args[start + i]!;
      const x = num(interp, v, '/');
      if (x === 0 && isFixnum(v)) throw new SchemeError('range', '/: division by zero');
      if (!isFixnum(v)) inexact = true;
      acc /= x;
    }
    return interp.heap.makeNumber(acc, inexact || !Number.isInteger(acc));
  });
  const intDiv = (name: string, op: (a: number, b: number) => number) =>
    def(name, 2, 2, (interp, args, start) => {
      const a = int(interp, args[start]!, name);
      const b = int(interp, args[start + 1]!, name);
      if (b === 0) throw new SchemeError('range', `${name}: division by zero`);
      return interp.heap.makeNumber(op(a, b), !isFixnum(args[start]!) || !isFixnum(args[start + 1]!));
    });
  intDiv('quotient', (a, b) => Math.trunc(a / b));
  intDiv('remainder', (a, b) => a % b);
  intDiv('modulo', (a, b) => ((a % b) + b) % b);
  const compare = (name: string, ok: (a: number, b: number) => boolean) =>
    def(name, 1, -1, (interp, args, start, argc) => {
      let result = true;
      for (let i = 0; i < argc - 1; i++) {
        if (!ok(num(interp, args[start + i]!, name), num(interp, args[start + i + 1]!, name))) result = false;
      }
      if (argc === 1) num(interp, args[start]!, name);
      return bool(result);
    });
  compare('=', (a, b) => a === b);
  compare('<', (a, b) => a < b);
  compare('>', (a, b) => a > b);
  compare('<=', (a, b) => a <= b);
  compare('>=', (a, b) => a >= b);
  const unaryMath = (name: string, op: (x: number) => number, keepExact: boolean) =>
    def(name, 1, 1, (interp, args, start) => {
      const v = args[start]!;
      const r = op(num(interp, v, name));
      return interp.heap.makeNumber(r, !(keepExact && isFixnum(v) && Number.isInteger(r)));
    });
  unaryMath('abs', Math.abs, true);
  unaryMath('floor', Math.floor, true);
  unaryMath('ceiling', Math.ceil, true);
  unaryMath('truncate', Math.trunc, true);
  unaryMath(
    'round',
    (x) => {
      const r = Math.round(x);
      return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; // round half to even
    },
    true,
  );
  unaryMath('sqrt', Math.sqrt, true);
  unaryMath('exact->inexact', (x) => x, false);
  unaryMath('exp', Math.exp, false);
  unaryMath('log', Math.log, false);
  unaryMath('sin', Math.sin, false);
  unaryMath('cos', Math.cos, false);
  def('inexact->exact', 1, 1, (interp, args, start) => {
    const x = num(interp, args[start]!, 'inexact->exact');
    if (!Number.isInteger(x)) throw new SchemeError('range', `inexact->exact: no exact integer for ${x}`);
    return interp.heap.makeNumber(x, false);
  });
  def('expt', 2, 2, (interp, args, start) => {
    const a = args[start]!;
    const b = args[start + 1]!;
    const r = num(interp, a, 'expt') ** num(interp, b, 'expt');
    return interp.heap.makeNumber(r, !isFixnum(a) || !isFixnum(b) || !Number.isInteger(r));
  });
  const minMax = (name: string, pick: (a: number, b: number) => number) =>
    def(name, 1, -1, (interp, args, start, argc) => {
      let acc = num(interp, args[start]!, name);
      let inexact = !isFixnum(args[start]!);
      for (let i = 1; i < argc; i++) {
        const v = args[start + i]!;
        acc = pick(acc, num(interp, v, name));
        if (!isFixnum(v)) inexact = true;
      }
      return interp.heap.makeNumber(acc, inexact);
    });
  minMax('min', Math.min);
  minMax('max', Math.max);
  const numPred = (name: string, ok: (x: number) => boolean, integer: boolean) =>
    def(name, 1, 1, (interp, args, start) =>
      bool(ok(integer ? int(interp, args[start]!, name) : num(interp, args[start]!, name))),
    );
  numPred('zero?', (x) => x === 0, false);
  numPred('positive?', (x) => x > 0, false);
  numPred('negative?', (x) => x < 0, false);
  numPred('even?', (x) => x % 2 === 0, true);
  numPred('odd?', (x) => x % 2 !== 0, true);
  def('number?', 1, 1, (interp, args, start) => bool(isNumber(interp.heap, args[start]!)));
  def('integer?', 1, 1, (interp, args, start) => {
    const v = args[start]!;
    return bool(
      isFixnum(v) || (interp.heap.is(v, interp.heap.FLONUM) && Number.isInteger(interp.heap.flonumValue(v))),
    );
  });
  def('exact?', 1, 1, (interp, args, start) => {
    num(interp, args[start]!, 'exact?');
    return bool(isFixnum(args[start]!));
  });
  def('inexact?', 1, 1, (interp, args, start) => {
    num(interp, args[start]!, 'inexact?');
    return bool(!isFixnum(args[start]!));
  });
  def('number->string', 1, 1, (interp, args, start) => {
    const v = args[start]!;
    num(interp, v, 'number->string');
    return interp.heap.makeString(interp.format(v, true));
  });
  def('string->number', 1, 1, (interp, args, start) => {
    const s = interp.heap.text(typed(interp, args[start]!, interp.heap.STRING, 'a string', 'string->number'));
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return FALSE;
    const x = Number(s);
    return interp.heap.makeNumber(x, !/^[+-]?\d+$/.test(s));
  });

  // --- pairs and lists -------------------------------------------------------------------------
  def('cons', 2, 2, (interp, args, start) => interp.heap.cons(args[start]!, args[start + 1]!));
  def('car', 1, 1, (interp, args, start) =>
    ret(interp.heap, interp.heap.car(pair(interp, args[start]!, 'car'))),
  );
  def('cdr', 1, 1, (interp, args, start) =>
    ret(interp.heap, interp.heap.cdr(pair(interp, args[start]!, 'cdr'))),
  );
  for (const path of ['aa', 'ad', 'da', 'dd', 'add', 'ddd', 'dda', 'ada']) {
    const name = `c${path}r`;
    def(name, 1, 1, (interp, args, start) => {
      const heap = interp.heap;
      let v = args[start]!;
      for (let i = path.length - 1; i >= 0; i--) {
        pair(interp, v, name);
        v = path[i] === 'a' ? heap.car(v) : heap.cdr(v);
      }
      return ret(heap, v);
    });
  }
  def('set-car!', 2, 2, (interp, args, start) => {
    interp.heap.setCar(pair(interp, args[start]!, 'set-car!'), args[start + 1]!);
    return UNSPECIFIED;
  });
  def('set-cdr!', 2, 2, (interp, args, start) => {
    interp.heap.setCdr(pair(interp, args[start]!, 'set-cdr!'), args[start + 1]!);
    return UNSPECIFIED;
  });
  def('list', 0, -1, (interp, args, start, argc) => makeList(interp, args.slice(start, start + argc)));
  def('length', 1, 1, (interp, args, start) => fixnum(listItems(interp, args[start]!, 'length').length));
  def('append', 0, -1, (interp, args, start, argc) => {
    if (argc === 0) return NIL;
    const items: Val[] = [];
    for (let i = 0; i < argc - 1; i++) items.push(...listItems(interp, args[start + i]!, 'append'));
    return makeList(interp, items, args[start + argc - 1]!);
  });
  def('reverse', 1, 1, (interp, args, start) =>
    makeList(interp, listItems(interp, args[start]!, 'reverse').reverse()),
  );
  def('list-tail', 2, 2, (interp, args, start) => {
    let x = args[start]!;
    for (let k = int(interp, args[start + 1]!, 'list-tail'); k > 0; k--)
      x = interp.heap.cdr(pair(interp, x, 'list-tail'));
    return ret(interp.heap, x);
  });
  def('list-ref', 2, 2, (interp, args, start) => {
    let x = args[start]!;
    for (let k = int(interp, args[start + 1]!, 'list-ref'); k > 0; k--)
      x = interp.heap.cdr(pair(interp, x, 'list-ref'));
    return ret(interp.heap, interp.heap.car(pair(interp, x, 'list-ref')));
  });
  const member = (name: string, same: (heap: SchemeHeap, a: Val, b: Val) => boolean) =>
    def(name, 2, 2, (interp, args, start) => {
      const heap = interp.heap;
      let x = args[start + 1]!;
      while (heap.is(x, heap.PAIR)) {
        if (same(heap, args[start]!, heap.car(x))) return ret(heap, x);
        x = heap.cdr(x);
      }
      return FALSE;
    });
  member('memq', (_h, a, b) => a === b);
  member('memv', eqv);
  member('member', equal);
  const assoc = (name: string, same: (heap: SchemeHeap, a: Val, b: Val) => boolean) =>
    def(name, 2, 2, (interp, args, start) => {
      const heap = interp.heap;
      let x = args[start + 1]!;
      while (heap.is(x, heap.PAIR)) {
        const entry = heap.car(x);
        if (heap.is(entry, heap.PAIR) && same(heap, args[start]!, heap.car(entry))) return ret(heap, entry);
        x = heap.cdr(x);
      }
      return FALSE;
    });
  assoc('assq', (_h, a, b) => a === b);
  assoc('assv', eqv);
  assoc('assoc', equal);

  // --- predicates ------------------------------------------------------------------------------
  const typePred = (name: string, ok: (heap: SchemeHeap, v: Val) => boolean) =>
    def(name, 1, 1, (interp, args, start) => bool(ok(interp.heap, args[start]!)));
  typePred('null?', (_h, v) => v === NIL);
  typePred('pair?', (h, v) => h.is(v, h.PAIR));
  typePred('list?', (h, v) => {
    while (h.is(v, h.PAIR)) v = h.cdr(v);
    return v === NIL;
  });
  typePred('symbol?', (h, v) => h.is(v, h.SYMBOL));
  typePred('string?', (h, v) => h.is(v, h.STRING));
  typePred('vector?', (h, v) => h.is(v, h.VECTOR));
  typePred('boolean?', (_h, v) => v === TRUE || v === FALSE);
  typePred('procedure?', (h, v) => h.is(v, h.CLOSURE) || h.is(v, h.PRIMITIVE));
  typePred('not', (_h, v) => v === FALSE);
  def('eq?', 2, 2, (_i, args, start) => bool(args[start] === args[start + 1]));
  def('eqv?', 2, 2, (interp, args, start) => bool(eqv(interp.heap, args[start]!, args[start + 1]!)));
  def('equal?', 2, 2, (interp, args, start) => bool(equal(interp.heap, args[start]!, args[start + 1]!)));

  // --- symbols and strings ---------------------------------------------------------------------
  def('symbol->string', 1, 1, (interp, args, start) =>
    interp.heap.makeString(
      interp.heap.symbolName(typed(interp, args[start]!, interp.heap.SYMBOL, 'a symbol', 'symbol->string')),
    ),
  );
  def('string->symbol', 1, 1, (interp, args, start) =>
    ret(
      interp.heap,
      interp.heap.intern(
        interp.heap.text(typed(interp, args[start]!, interp.heap.STRING, 'a string', 'string->symbol')),
      ),
    ),
  );
  const str = (interp: Interpreter, v: Val, who: string) =>
    interp.heap.text(typed(interp, v, interp.heap.STRING, 'a string', who));
  def('string-length', 1, 1, (interp, args, start) =>
    fixnum([...str(interp, args[start]!, 'string-length')].length),
  );
  def('string-append', 0, -1, (interp, args, start, argc) => {
    let s = '';
    for (let i = 0; i < argc; i++) s += str(interp, args[start + i]!, 'string-append');
    return interp.heap.makeString(s);
  });
  def('substring', 2, 3, (interp, args, start, argc) => {
    const chars = [...str(interp, args[start]!, 'substring')];
    const from = int(interp, args[start + 1]!, 'substring');
    const to = argc === 3 ? int(interp, args[start + 2]!, 'substring') : chars.length;
    if (from < 0 || to > chars.length || from > to)
      throw new SchemeError('range', `substring: bad range [${from}, ${to})`);
    return interp.heap.makeString(chars.slice(from, to).join(''));
  });
  const strCompare = (name: string, ok: (a: string, b: string) => boolean) =>
    def(name, 2, 2, (interp, args, start) =>
      bool(ok(str(interp, args[start]!, name), str(interp, args[start + 1]!, name))),
    );
  strCompare('string=?', (a, b) => a === b);
  strCompare('string<?', (a, b) => a < b);
  strCompare('string>?', (a, b) => a > b);

  // --- vectors ---------------------------------------------------------------------------------
  const vec = (interp: Interpreter, v: Val, who: string) =>
    typed(interp, v, interp.heap.VECTOR, 'a vector', who);
  const index = (interp: Interpreter, v: Val, i: Val, who: string) => {
    const k = int(interp, i, who);
    const n = interp.heap.length(v);
    if (k < 0 || k >= n) throw new SchemeError('range', `${who}: index ${k} out of range [0, ${n})`);
    return k;
  };
  def('make-vector', 1, 2, (interp, args, start, argc) => {
    const n = int(interp, args[start]!, 'make-vector');
    if (n < 0) throw new SchemeError('range', `make-vector: negative length ${n}`);
    return interp.heap.makeVector(n, argc === 2 ? args[start + 1]! : fixnum(0));
  });
  def('vector', 0, -1, (interp, args, start, argc) => {
    const v = interp.heap.makeVector(argc, fixnum(0));
    for (let i = 0; i < argc; i++) interp.heap.vectorSet(v, i, args[start + i]!);
    return v;
  });
  def('vector-length', 1, 1, (interp, args, start) =>
    fixnum(interp.heap.length(vec(interp, args[start]!, 'vector-length'))),
  );
  def('vector-ref', 2, 2, (interp, args, start) => {
    const v = vec(interp, args[start]!, 'vector-ref');
    return ret(interp.heap, interp.heap.vectorRef(v, index(interp, v, args[start + 1]!, 'vector-ref')));
  });
  def('vector-set!', 3, 3, (interp, args, start) => {
    const v = vec(interp, args[start]!, 'vector-set!');
    interp.heap.vectorSet(v, index(interp, v, args[start + 1]!, 'vector-set!'), args[start + 2]!);
    return UNSPECIFIED;
  });
  def('vector-fill!', 2, 2, (interp, args, start) => {
    const v = vec(interp, args[start]!, 'vector-fill!');
    for (let i = interp.heap.length(v) - 1; i >= 0; i--) interp.heap.vectorSet(v, i, args[start + 1]!);
    return UNSPECIFIED;
  });
  def('vector->list', 1, 1, (interp, args, start) => {
    const v = vec(interp, args[start]!, 'vector->list');
    const items: Val[] = [];
    for (let i = 0; i < interp.heap.length(v); i++) items.push(interp.heap.vectorRef(v, i));
    return makeList(interp, items);
  });
  def('list->vector', 1, 1, (interp, args, start) => {
    const items = listItems(interp, args[start]!, 'list->vector');
    const v = interp.heap.makeVector(items.length, fixnum(0));
    for (let i = 0; i < items.length; i++) interp.heap.vectorSet(v, i, items[i]!);
    return v;
  });

  // --- output, errors, the collector -----------------------------------------------------------
  def('display', 1, 1, (interp, args, start) => {
    interp.output(interp.format(args[start]!, true));
    return UNSPECIFIED;
  });
  def('write', 1, 1, (interp, args, start) => {
    interp.output(interp.format(args[start]!));
    return UNSPECIFIED;
  });
  def('newline', 0, 0, (interp) => {
    interp.output('\n');
    return UNSPECIFIED;
  });
  def('error', 1, -1, (interp, args, start, argc) => {
    const parts = [interp.format(args[start]!, true)];
    for (let i = 1; i < argc; i++) parts.push(interp.format(args[start + i]!));
    throw new SchemeError('user', parts.join(' '));
  });
  def('apply', 2, -1, () => {
    throw new Error('apply is handled by the evaluator');
  });
  def('gc-collect', 0, 1, (interp, args, start, argc) =>
    fixnum(interp.heap.gc.collect(argc === 1 ? int(interp, args[start]!, 'gc-collect') : 2)),
  );
  def('heap-bytes', 0, 0, (interp) => interp.heap.makeNumber(interp.heap.bytesInUse(), false));
  def('heap-objects', 0, 0, (interp) => fixnum(interp.heap.space.liveObjects()));
  def('void', 0, -1, () => UNSPECIFIED);
  return list;
}
