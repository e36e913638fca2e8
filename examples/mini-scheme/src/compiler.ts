/**
 * The compiler: a datum read from source (a heap value) to a tree of JS {@link Node}s the
 * evaluator runs. Variables are resolved to lexical addresses (frames up, slot) or to a global
 * cell; derived forms (`let`, `let*`, `letrec`, named `let`, `cond`, `when`, `unless`, internal
 * `define`) become lambdas, calls, `if` and sequences. Quoted data stay in the heap: a `Const`
 * node owns a reference to its value (the interpreter releases them with its code).
 */
import type { Ptr } from '@heapkit/memory';
import { SchemeError } from './errors.js';
import type { SchemeHeap } from './heap.js';
import { FALSE, NIL, TRUE, UNSPECIFIED, type Val } from './value.js';

/** A global variable: its value is owned (UNASSIGNED while unbound). */
export interface GlobalCell {
  readonly name: string;
  value: Val;
}

/** A compiled lambda. Closures refer to it by its index in the interpreter's code table. */
export interface Code {
  readonly name: string;
  readonly nreq: number;
  readonly rest: boolean;
  /** Parameters, then internal defines. */
  readonly frameSize: number;
  body: Node;
  readonly file: number;
  readonly fileName: string;
  readonly line: number;
  index: number;
}

export enum K {
  Const = 0,
  Local = 1,
  Global = 2,
  SetLocal = 3,
  SetGlobal = 4,
  If = 5,
  Lambda = 6,
  Seq = 7,
  Call = 8,
  And = 9,
  Or = 10,
}

/** A compiled expression. `line` is 0 for nodes that do not move the current line. */
export type Node =
  | { readonly k: K.Const; readonly line: number; readonly value: Val }
  | {
      readonly k: K.Local;
      readonly line: number;
      readonly depth: number;
      readonly index: number;
      readonly name: string;
    }
  | { readonly k: K.Global; readonly line: number; readonly cell: GlobalCell }
  | {
      readonly k: K.SetLocal;
      readonly line: number;
      readonly depth: number;
      readonly index: number;
      readonly value: Node;
      readonly define: boolean;
    }
  | {
      readonly k: K.SetGlobal;
      readonly line: number;
      readonly cell: GlobalCell;
      readonly value: Node;
      readonly define: boolean;
    }
  | {
      readonly k: K.If;
      readonly line: number;
      readonly test: Node;
      readonly consequent: Node;
      readonly alternative: Node;
    }
  | { readonly k: K.Lambda; readonly line: number; readonly code: Code }
  | { readonly k: K.Seq; readonly line: number; readonly body: readonly Node[] }
  | { readonly k: K.Call; readonly line: number; readonly fn: Node; readonly args: readonly Node[] }
  | { readonly k: K.And | K.Or; readonly line: number; readonly parts: readonly Node[] };

/** A lexical frame at compile time. */
interface Scope {
  readonly names: Ptr[];
  readonly parent: Scope | null;
}

/** What the compiler needs from the interpreter. */
export interface CompilerHost {
  readonly heap: SchemeHeap;
  globalCell(sym: Ptr): GlobalCell;
  /** Registers a compiled lambda and returns its code index. */
  addCode(code: Code): number;
  /** Keeps a reference to a constant for as long as the code lives. */
  addConstant(v: Val): void;
}

const SPECIAL_FORMS = [
  'quote',
  'if',
  'define',
  'set!',
  'lambda',
  'begin',
  'let',
  'let*',
  'letrec',
  'letrec*',
  'cond',
  'else',
  '=>',
  'and',
  'or',
  'when',
  'unless',
] as const;

/** Compiles top-level forms of one source file. */
export class Compiler {
  private readonly heap: SchemeHeap;
  private readonly sym: Record<(typeof SPECIAL_FORMS)[number], Ptr>;

  constructor(
    private readonly host: CompilerHost,
    private readonly fileName: string,
    private readonly fileId: number,
  ) {
    this.heap = host.heap;
    const sym = {} as Record<(typeof SPECIAL_FORMS)[number], Ptr>;
    for (const name of SPECIAL_FORMS) sym[name] = this.heap.intern(name);
    this.sym = sym;
  }

  /** The names of the special forms (the interpreter makes their symbols immortal). */
  static readonly specialForms: readonly string[] = SPECIAL_FORMS;

  /** Compiles a top-level form (borrowed) found at `line`. */
  compileTop(x: Val, line: number): Node {
    return this.compile(x, null, line, true);
  }

  private error(message: string, line: number): SchemeError {
    return new SchemeError('bad-syntax', message, this.fileName, line);
  }

  private lineOf(x: Val, fallback: number): number {
    if (this.heap.is(x, this.heap.PAIR)) {
      const line = this.heap.pairLine(x);
      if (line !== 0) return line;
    }
    return fallback;
  }

  /** The elements of a proper list (borrowed), or a syntax error. */
  private listItems(x: Val, line: number, what: string): Val[] {
    const heap = this.heap;
    const items: Val[] = [];
    while (heap.is(x, heap.PAIR)) {
      items.push(heap.car(x));
      x = heap.cdr(x);
    }
    if (x !== NIL) throw this.error(`bad syntax in ${what}: not a proper list`, line);
    return items;
  }

  private isSymbol(x: Val): boolean {
    return this.heap.is(x, this.heap.SYMBOL);
  }

  private compile(x: Val, scope: Scope | null, line: number, top: boolean): Node {
    const heap = this.heap;
    if (this.isSymbol(x)) return this.variable(x, scope, line);
    if (!heap.is(x, heap.PAIR)) {
      if (x === NIL) throw this.error('bad syntax: () is not an expression (quote it)', line);
      return this.constant(x);
    }
    line = this.lineOf(x, line);
    const head = heap.car(x);
    const s = this.sym;
    if (this.isSymbol(head) && this.lookup(head, scope) === null) {
      const form = this.listItems(x, line, heap.symbolName(head));
      switch (head) {
        case s.quote:
          if (form.length !== 2) throw this.error('bad syntax: (quote datum)', line);
          return this.constant(form[1]!);
        case s.if:
          if (form.length !== 3 && form.length !== 4)
            throw this.error('bad syntax: (if test then [else])', line);
          return {
            k: K.If,
            line,
            test: this.compile(form[1]!, scope, line, false),
            consequent: this.compile(form[2]!, scope, line, false),
            alternative: form.length === 4 ? this.compile(form[3]!, scope, line, false) : this.unspecified(),
          };
        case s.define:
          if (!top)
            throw this.error(
              'bad syntax: define is only allowed at the start of a body or at top level',
              line,
            );
          return this.define(form, scope, line);
        case s['set!']: {
          if (form.length !== 3 || !this.isSymbol(form[1]!))
            throw this.error('bad syntax: (set! name value)', line);
          return this.assign(form[1]!, this.compile(form[2]!, scope, line, false), scope, line, false);
        }
        case s.lambda:
          if (form.length < 3) throw this.error('bad syntax: (lambda params body...)', line);
          return this.lambda(form[1]!, form.slice(2), scope, line, 'lambda');
        case s.begin:
          if (form.length === 1) return this.unspecified();
          return this.sequence(form.slice(1), scope, line, top);
        case s.let:
          return this.let(form, scope, line);
        case s['let*']:
          return this.letStar(form, scope, line);
        case s.letrec:
        case s['letrec*']:
          return this.letrec(form, scope, line);
        case s.cond:
          return this.cond(form.slice(1), scope, line);
        case s.and:
        case s.or: {
          if (form.length === 1) return this.constant(head === s.and ? TRUE : FALSE);
          const parts = form.slice(1).map((p) => this.compile(p, scope, line, false));
          if (parts.length === 1) return parts[0]!;
          return { k: head === s.and ? K.And : K.Or, line, parts };
        }
        case s.when:
        case s.unless: {
          if (form.length < 3) throw this.error(`bad syntax: (${heap.symbolName(head)} test body...)`, line);
          const test = this.compile(form[1]!, scope, line, false);
          const body = this.sequence(form.slice(2), scope, line, false);
          return head === s.when
            ? { k: K.If, line, test, consequent: body, alternative: this.unspecified() }
            : { k: K.If, line, test, consequent: this.unspecified(), alternative: body };
        }
        case s.else:
        case s['=>']:
          throw this.error(`bad syntax: ${heap.symbolName(head)} outside cond`, line);
      }
    }
    const items = this.listItems(x, line, 'a call');
    return {
      k: K.Call,
      line,
      fn: this.compile(items[0]!, scope, line, false),
      args: items.slice(1).map((a) => this.compile(a, scope, line, false)),
    };
  }

  private constant(v: Val): Node {
    this.host.addConstant(v);
    return { k: K.Const, line: 0, value: v };
  }

  private unspecified(): Node {
    return { k: K.Const, line: 0, value: UNSPECIFIED };
  }

  private lookup(sym: Ptr, scope: Scope | null): { depth: number; index: number } | null {
    for (let depth = 0; scope !== null; depth++, scope = scope.parent) {
      const index = scope.names.lastIndexOf(sym);
      if (index >= 0) return { depth, index };
    }
    return null;
  }

  private variable(sym: Ptr, scope: Scope | null, line: number): Node {
    const at = this.lookup(sym, scope);
    const name = this.heap.symbolName(sym);
    if (at !== null) return { k: K.Local, line: 0, depth: at.depth, index: at.index, name };
    if ((Compiler.specialForms as readonly string[]).includes(name)) {
      throw this.error(`bad syntax: ${name} is a special form, not a variable`, line);
    }
    return { k: K.Global, line: 0, cell: this.host.globalCell(sym) };
  }

  private assign(sym: Ptr, value: Node, scope: Scope | null, line: number, define: boolean): Node {
    const at = this.lookup(sym, scope);
    if (at !== null) return { k: K.SetLocal, line, depth: at.depth, index: at.index, value, define };
    return { k: K.SetGlobal, line, cell: this.host.globalCell(sym), value, define };
  }

  /** `(define name value)` or `(define (name . params) body...)`. */
  private define(form: Val[], scope: Scope | null, line: number): Node {
    const target = form[1];
    if (target !== undefined && this.heap.is(target, this.heap.PAIR)) {
      const name = this.heap.car(target);
      if (!this.isSymbol(name) || form.length < 3)
        throw this.error('bad syntax: (define (name params...) body...)', line);
      const fn = this.lambda(this.heap.cdr(target), form.slice(2), scope, line, this.heap.symbolName(name));
      return this.assign(name, fn, scope, line, true);
    }
    if (target === undefined || !this.isSymbol(target) || form.length > 3) {
      throw this.error('bad syntax: (define name value)', line);
    }
    const value =
      form.length === 3
        ? this.compile(form[2]!, scope, line, false)
        : ({ k: K.Const, line: 0, value: UNSPECIFIED } as Node);
    if (value.k === K.Lambda && value.code.name === 'lambda') {
      (value.code as { name: string }).name = this.heap.symbolName(target);
    }
    return this.assign(target, value, scope, line, true);
  }

  private sequence(forms: Val[], scope: Scope | null, line: number, top: boolean): Node {
    if (forms.length === 0) throw this.error('bad syntax: empty body', line);
    const body = forms.map((f) => this.compile(f, scope, this.lineOf(f, line), top));
    return body.length === 1 ? body[0]! : { k: K.Seq, line: 0, body };
  }

  /** Names defined at the start of a body (also inside `begin`). */
  private bodyDefines(forms: Val[], out: Ptr[]): void {
    const heap = this.heap;
    for (const f of forms) {
      if (!heap.is(f, heap.PAIR)) continue;
      const head = heap.car(f);
      if (head === this.sym.define) {
        const target = heap.is(heap.cdr(f), heap.PAIR) ? heap.car(heap.cdr(f)) : NIL;
        const name = heap.is(target, heap.PAIR) ? heap.car(target) : target;
        if (this.isSymbol(name) && !out.includes(name)) out.push(name);
      } else if (head === this.sym.begin) {
        this.bodyDefines(this.listItems(f, this.lineOf(f, 0), 'begin').slice(1), out);
      }
    }
  }

  private lambda(params: Val, body: Val[], scope: Scope | null, line: number, name: string): Node {
    const heap = this.heap;
    const names: Ptr[] = [];
    let rest = false;
    while (heap.is(params, heap.PAIR)) {
      const p = heap.car(params);
      if (!this.isSymbol(p)) throw this.error('bad syntax: a parameter must be a symbol', line);
      names.push(p);
      params = heap.cdr(params);
    }
    if (this.isSymbol(params)) {
      names.push(params);
      rest = true;
    } else if (params !== NIL) {
      throw this.error('bad syntax: parameters must be a list of symbols', line);
    }
    const nreq = rest ? names.length - 1 : names.length;
    this.bodyDefines(body, names);
    const inner: Scope = { names, parent: scope };
    const code: Code = {
      name,
      nreq,
      rest,
      frameSize: names.length,
      body: { k: K.Const, line: 0, value: UNSPECIFIED },
      file: this.fileId,
      fileName: this.fileName,
      line,
      index: -1,
    };
    code.body = this.sequence(body, inner, line, true);
    code.index = this.host.addCode(code);
    return { k: K.Lambda, line, code };
  }

  /** `(let ((v e) ...) body...)` and named let. */
  private let(form: Val[], scope: Scope | null, line: number): Node {
    const heap = this.heap;
    if (form.length >= 3 && this.isSymbol(form[1]!)) {
      // (let name ((v e) ...) body...) → ((letrec ((name (lambda (v ...) body...))) name) e ...)
      const name = form[1]!;
      const { vars, inits } = this.bindings(form[2]!, line);
      const loop: Scope = { names: [name], parent: scope };
      const fn = this.lambda(this.listFrom(vars), form.slice(3), loop, line, heap.symbolName(name));
      const frame: Code = {
        name: heap.symbolName(name),
        nreq: 0,
        rest: false,
        frameSize: 1,
        body: {
          k: K.Seq,
          line: 0,
          body: [
            { k: K.SetLocal, line, depth: 0, index: 0, value: fn, define: true },
            { k: K.Local, line: 0, depth: 0, index: 0, name: heap.symbolName(name) },
          ],
        },
        file: this.fileId,
        fileName: this.fileName,
        line,
        index: -1,
      };
      frame.index = this.host.addCode(frame);
      const maker: Node = { k: K.Call, line, fn: { k: K.Lambda, line, code: frame }, args: [] };
      return { k: K.Call, line, fn: maker, args: inits.map((e) => this.compile(e, scope, line, false)) };
    }
    if (form.length < 3) throw this.error('bad syntax: (let ((name value) ...) body...)', line);
    const { vars, inits } = this.bindings(form[1]!, line);
    const fn = this.lambda(this.listFrom(vars), form.slice(2), scope, line, 'let');
    return { k: K.Call, line, fn, args: inits.map((e) => this.compile(e, scope, line, false)) };
  }

  private letStar(form: Val[], scope: Scope | null, line: number): Node {
    if (form.length < 3) throw this.error('bad syntax: (let* ((name value) ...) body...)', line);
    const { vars, inits } = this.bindings(form[1]!, line);
    if (vars.length <= 1) return this.let(form, scope, line);
    // One frame per binding, each in the scope of the previous ones.
    const build = (i: number, s: Scope | null): Node => {
      const init = this.compile(inits[i]!, s, line, false);
      const inner: Scope = { names: [vars[i]!], parent: s };
      let body: Node;
      if (i === vars.length - 1) {
        const defines: Ptr[] = [vars[i]!];
        this.bodyDefines(form.slice(2), defines);
        inner.names.push(...defines.slice(1));
        body = this.sequence(form.slice(2), inner, line, true);
      } else {
        body = build(i + 1, inner);
      }
      const code: Code = {
        name: 'let*',
        nreq: 1,
        rest: false,
        frameSize: inner.names.length,
        body,
        file: this.fileId,
        fileName: this.fileName,
        line,
        index: -1,
      };
      code.index = this.host.addCode(code);
      return { k: K.Call, line, fn: { k: K.Lambda, line, code }, args: [init] };
    };
    return build(0, scope);
  }

  /** `(letrec ((v e) ...) body...)` → `((lambda () (define v e) ... body...))`. */
  private letrec(form: Val[], scope: Scope | null, line: number): Node {
    if (form.length < 3) throw this.error('bad syntax: (letrec ((name value) ...) body...)', line);
    const { vars, inits } = this.bindings(form[1]!, line);
    const names: Ptr[] = [...vars];
    this.bodyDefines(form.slice(2), names);
    const inner: Scope = { names, parent: scope };
    const body: Node[] = vars.map((v, i) =>
      this.assign(v, this.compile(inits[i]!, inner, line, false), inner, line, true),
    );
    const rest = this.sequence(form.slice(2), inner, line, true);
    body.push(rest);
    const code: Code = {
      name: 'letrec',
      nreq: 0,
      rest: false,
      frameSize: names.length,
      body: { k: K.Seq, line: 0, body },
      file: this.fileId,
      fileName: this.fileName,
      line,
      index: -1,
    };
    code.index = this.host.addCode(code);
    return { k: K.Call, line, fn: { k: K.Lambda, line, code }, args: [] };
  }

  /** The variables and init expressions of a binding list. */
  private bindings(x: Val, line: number): { vars: Ptr[]; inits: Val[] } {
    const vars: Ptr[] = [];
    const inits: Val[] = [];
    for (const b of this.listItems(x, line, 'bindings')) {
      const pair = this.heap.is(b, this.heap.PAIR) ? this.listItems(b, line, 'a binding') : [];
      if (pair.length !== 2 || !this.isSymbol(pair[0]!))
        throw this.error('bad syntax: a binding is (name value)', line);
      vars.push(pair[0]!);
      inits.push(pair[1]!);
    }
    return { vars, inits };
  }

  /**
   * A parameter list as a heap list (borrowed symbols). The list is only read by `lambda`
   * during this compilation and released right after.
   */
  private listFrom(vars: Ptr[]): Val {
    let list: Val = NIL;
    for (let i = vars.length - 1; i >= 0; i--) {
      const next = this.heap.cons(vars[i]!, list);
      this.heap.decref(list);
      list = next;
    }
    this.pendingLists.push(list);
    return list;
  }

  /** Temporary lists made by {@link listFrom}, released by {@link releaseTemporaries}. */
  private readonly pendingLists: Val[] = [];

  /** Drops the temporary lists made while compiling (call after each top-level form). */
  releaseTemporaries(): void {
    for (const list of this.pendingLists) this.heap.decref(list);
    this.pendingLists.length = 0;
  }

  private cond(clauses: Val[], scope: Scope | null, line: number): Node {
    if (clauses.length === 0) return this.unspecified();
    const clause = clauses[0]!;
    const cl = this.lineOf(clause, line);
    if (!this.heap.is(clause, this.heap.PAIR))
      throw this.error('bad syntax: a cond clause is (test body...)', cl);
    const items = this.listItems(clause, cl, 'a cond clause');
    if (items[0] === this.sym.else) {
      if (clauses.length !== 1) throw this.error('bad syntax: else must be the last cond clause', cl);
      return this.sequence(items.slice(1), scope, cl, false);
    }
    const test = this.compile(items[0]!, scope, cl, false);
    const rest = this.cond(clauses.slice(1), scope, line);
    if (items.length === 1) return { k: K.Or, line: cl, parts: [test, rest] };
    if (items[1] === this.sym['=>']) throw this.error('bad syntax: cond => is not supported', cl);
    return {
      k: K.If,
      line: cl,
      test,
      consequent: this.sequence(items.slice(1), scope, cl, false),
      alternative: rest,
    };
  }
}
