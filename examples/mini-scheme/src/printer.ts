/**
 * Printing values: `display` (strings without quotes) and `write` (strings quoted and escaped).
 * Lists are walked along their cdrs in a loop; nesting in cars recurses (bounded by
 * {@link MAX_DEPTH}, after which `...` is printed, so a cyclic structure cannot hang).
 */
import type { SchemeHeap } from './heap.js';
import { FALSE, fixnumValue, isFixnum, NIL, TRUE, UNASSIGNED, UNSPECIFIED, type Val } from './value.js';

const MAX_DEPTH = 1000;
const MAX_ITEMS = 1_000_000;

/** A float as Scheme prints it: always with a decimal point or exponent. */
export function formatFlonum(x: number): string {
  if (Number.isNaN(x)) return '+nan.0';
  if (x === Number.POSITIVE_INFINITY) return '+inf.0';
  if (x === Number.NEGATIVE_INFINITY) return '-inf.0';
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** The printed form of `v`. */
export function toDisplayString(
  heap: SchemeHeap,
  v: Val,
  write: boolean,
  procName?: (v: Val) => string,
): string {
  const out: string[] = [];
  print(heap, v, write, out, 0, procName);
  return out.join('');
}

function print(
  heap: SchemeHeap,
  v: Val,
  write: boolean,
  out: string[],
  depth: number,
  procName?: (v: Val) => string,
): void {
  if (depth > MAX_DEPTH) {
    out.push('...');
    return;
  }
  if (isFixnum(v)) {
    out.push(String(fixnumValue(v)));
    return;
  }
  switch (v) {
    case NIL:
      out.push('()');
      return;
    case TRUE:
      out.push('#t');
      return;
    case FALSE:
      out.push('#f');
      return;
    case UNSPECIFIED:
      out.push('#<unspecified>');
      return;
    case UNASSIGNED:
      out.push('#<unassigned>');
      return;
  }
  const type = heap.typeOf(v);
  if (type === heap.PAIR) {
    out.push('(');
    print(heap, heap.car(v), write, out, depth + 1, procName);
    let rest = heap.cdr(v);
    let n = 0;
    while (heap.is(rest, heap.PAIR)) {
      if (++n > MAX_ITEMS) {
        out.push(' ...)');
        return;
      }
      out.push(' ');
      print(heap, heap.car(rest), write, out, depth + 1, procName);
      rest = heap.cdr(rest);
    }
    if (rest !== NIL) {
      out.push(' . ');
      print(heap, rest, write, out, depth + 1, procName);
    }
    out.push(')');
  } else if (type === heap.VECTOR) {
    out.push('#(');
    const n = heap.length(v);
    for (let i = 0; i < n; i++) {
      if (i > 0) out.push(' ');
      print(heap, heap.vectorRef(v, i), write, out, depth + 1, procName);
    }
    out.push(')');
  } else if (type === heap.STRING) {
    const s = heap.text(v);
    out.push(write ? JSON.stringify(s) : s);
  } else if (type === heap.SYMBOL) {
    out.push(heap.symbolName(v));
  } else if (type === heap.FLONUM) {
    out.push(formatFlonum(heap.flonumValue(v)));
  } else if (type === heap.CLOSURE || type === heap.PRIMITIVE) {
    out.push(procName ? procName(v) : '#<procedure>');
  } else {
    out.push(`#<${heap.space.typeName(v)}>`);
  }
}
