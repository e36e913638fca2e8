/**
 * The reader: Scheme source text to data in the heap. Every pair it makes records the source
 * line and file it started on (the compiler and error messages use them); `read` also returns
 * the line of each top-level datum, so atoms have a position too.
 *
 * Syntax: lists with `()` or `[]`, dotted pairs, `'x`, strings with `\n \t \\ \"` escapes,
 * integers and decimals, `#t #f #true #false`, symbols, `;` line comments, `#|...|#` block
 * comments and `#;` datum comments.
 */
import { SchemeError } from './errors.js';
import type { SchemeHeap } from './heap.js';
import { FALSE, NIL, TRUE, type Val } from './value.js';

const DELIMITERS = new Set(['(', ')', '[', ']', '"', ';', "'"]);

/** One datum read and where it started. The caller owns `datum`. */
export interface ReadResult {
  readonly datum: Val;
  readonly line: number;
}

/** Reads data one at a time from a source text. */
export class Reader {
  private pos = 0;
  private line = 1;

  constructor(
    private readonly heap: SchemeHeap,
    private readonly text: string,
    /** The file name for errors. */
    private readonly fileName: string,
    /** The profiler file id stored in pairs. */
    private readonly fileId: number,
  ) {}

  /** The next datum (a new reference), or null at the end of the text. */
  read(): ReadResult | null {
    this.skipSpace();
    if (this.pos >= this.text.length) return null;
    const line = this.line;
    const datum = this.datum();
    return { datum, line };
  }

  private error(message: string, line = this.line): SchemeError {
    return new SchemeError('read-error', message, this.fileName, line);
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (c === '\n') {
        this.line++;
        this.pos++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
        this.pos++;
      } else if (c === ';') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++;
      } else if (c === '#' && t[this.pos + 1] === '|') {
        const start = this.line;
        this.pos += 2;
        while (this.pos < t.length && !(t[this.pos] === '|' && t[this.pos + 1] === '#')) {
          if (t[this.pos] === '\n') this.line++;
          this.pos++;
        }
        if (this.pos >= t.length) throw this.error('unterminated block comment', start);
        this.pos += 2;
      } else if (c === '#' && t[this.pos + 1] === ';') {
        this.pos += 2;
        this.skipSpace();
        this.heap.decref(this.datum());
      } else {
        return;
      }
    }
  }

  /** A datum at the current position (after skipSpace). */
  private datum(): Val {
    const t = this.text;
    if (this.pos >= t.length) throw this.error('unexpected end of input');
    const c = t[this.pos]!;
    if (c === '(' || c === '[') {
      this.pos++;
      return this.list(c === '(' ? ')' : ']');
    }
    if (c === ')' || c === ']') throw this.error(`unexpected '${c}'`);
    if (c === "'") {
      const line = this.line;
      this.pos++;
      this.skipSpace();
      const quoted = this.datum();
      return this.buildList([this.heap.intern('quote'), quoted], NIL, line, 1);
    }
    if (c === '"') return this.string();
    if (c === '#' && t[this.pos + 1] === '(') {
      this.pos += 2;
      return this.vector(this.list(')'));
    }
    return this.atom();
  }

  /** The rest of a list after its opening bracket. */
  private list(close: string): Val {
    const line = this.line;
    const items: Val[] = [];
    let tail: Val = NIL;
    try {
      for (;;) {
        this.skipSpace();
        if (this.pos >= this.text.length) throw this.error(`unterminated list (opened on line ${line})`);
        const c = this.text[this.pos]!;
        if (c === ')' || c === ']') {
          if (c !== close)
            throw this.error(`'${c}' closes a list opened with '${close === ')' ? '(' : '['}'`);
          this.pos++;
          break;
        }
        if (c === '.' && this.isDelimiter(this.pos + 1) && items.length > 0) {
          this.pos++;
          this.skipSpace();
          tail = this.datum();
          this.skipSpace();
          if (this.text[this.pos] !== close) throw this.error('expected the end of a dotted list');
          this.pos++;
          break;
        }
        items.push(this.datum());
      }
    } catch (error) {
      for (const v of items) this.heap.decref(v);
      this.heap.decref(tail);
      throw error;
    }
    return this.buildList(items, tail, line, 0);
  }

  /**
   * A list of `items` ending in `tail`, taking over the references to all of them except the
   * first `borrowed` items (which get a new reference).
   */
  private buildList(items: Val[], tail: Val, line: number, borrowed: number): Val {
    const heap = this.heap;
    for (let i = 0; i < borrowed; i++) heap.incref(items[i]!);
    let i = items.length;
    try {
      while (i > 0) {
        tail = heap.consSteal(items[i - 1]!, tail, line, this.fileId);
        i--;
      }
    } catch (error) {
      for (let k = 0; k < i; k++) heap.decref(items[k]!);
      heap.decref(tail);
      throw error;
    }
    return tail;
  }

  /** A vector literal's items, from the list read for it (which it releases). */
  private vector(list: Val): Val {
    const heap = this.heap;
    const items: Val[] = [];
    for (let x = list; heap.is(x, heap.PAIR); x = heap.cdr(x)) items.push(heap.car(x));
    try {
      const v = heap.makeVector(items.length, NIL);
      for (let i = 0; i < items.length; i++) heap.vectorSet(v, i, items[i]!);
      return v;
    } finally {
      heap.decref(list);
    }
  }

  private isDelimiter(at: number): boolean {
    if (at >= this.text.length) return true;
    const c = this.text[at]!;
    return DELIMITERS.has(c) || /\s/.test(c);
  }

  private string(): Val {
    const t = this.text;
    const start = this.line;
    this.pos++;
    let s = '';
    for (;;) {
      if (this.pos >= t.length) throw this.error('unterminated string', start);
      const c = t[this.pos++]!;
      if (c === '"') break;
      if (c === '\n') this.line++;
      if (c === '\\') {
        const e = t[this.pos++];
        if (e === 'n') s += '\n';
        else if (e === 't') s += '\t';
        else if (e === '\\' || e === '"') s += e;
        else throw this.error(`unknown string escape \\${e ?? ''}`);
      } else {
        s += c;
      }
    }
    return this.heap.makeString(s);
  }

  private atom(): Val {
    const t = this.text;
    const start = this.pos;
    while (!this.isDelimiter(this.pos)) this.pos++;
    const token = t.slice(start, this.pos);
    if (token === '#t' || token === '#true') return TRUE;
    if (token === '#f' || token === '#false') return FALSE;
    if (/^[+-]?\d+$/.test(token)) return this.heap.makeNumber(Number(token), false);
    if (/^[+-]?(\d+\.\d*|\.\d+|\d+)(e[+-]?\d+)?$/i.test(token))
      return this.heap.makeNumber(Number(token), true);
    if (token.startsWith('#')) throw this.error(`unknown syntax ${token}`);
    const sym = this.heap.intern(token);
    this.heap.incref(sym);
    return sym;
  }
}
