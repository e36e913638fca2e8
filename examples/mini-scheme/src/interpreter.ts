/**
 * {@link Interpreter}: the evaluator, a loop over compiled {@link Node}s with an explicit
 * continuation stack. Nothing in Scheme recurses on the JS stack: a call in tail position
 * replaces the current procedure's frame (proper tail calls), and a deep non-tail recursion
 * grows the continuation stack (JS arrays) and the environment frames (heap), not the JS stack.
 *
 * Ownership: the machine's registers (`val`, `env`, `tmp`), the value stack (evaluated operands)
 * and the environments saved in continuation frames each hold a reference (incref'd). They are
 * the roots: the cycle collector sees them as references from outside the heap. The collector
 * runs only at safe points (`gc.safePoint()` on procedure entry), when every value is owned.
 * After an error, `unwind` drops every reference the machine held, so the heap stays valid and
 * nothing leaks.
 *
 * ```
 *   continuation frame:  type │ node │ env (owned) │ i (next part) │ base (value stack index)
 *   F_RET marks a procedure activation (and a RuntimeFrameStack frame: Scheme file + line).
 * ```
 */
import { readFileSync } from 'node:fs';
import type { Ptr } from '@heapkit/memory';
import { type Code, Compiler, type CompilerHost, type GlobalCell, K, type Node } from './compiler.js';
import { SchemeError, type SchemeErrorKind } from './errors.js';
import { type HeapOptions, SchemeHeap } from './heap.js';
import { PRELUDE } from './prelude.js';
import { type Primitive, standardPrimitives } from './primitives.js';
import { toDisplayString } from './printer.js';
import { Reader } from './reader.js';
import { FALSE, isPtr, NIL, UNASSIGNED, UNSPECIFIED, type Val } from './value.js';

/** Options of an {@link Interpreter}. */
export interface InterpreterOptions extends HeapOptions {
  /** Where `display`, `write` and `newline` print. Default: process.stdout. */
  readonly output?: (text: string) => void;
  /** The deepest procedure nesting before a recursion-depth error. Default 10,000,000. */
  readonly maxDepth?: number;
}

const EVAL = 0;
const RET = 1;

const F_RET = 0;
const F_IF = 1;
const F_SEQ = 2;
const F_CALL = 3;
const F_SET = 4;
const F_AND = 5;
const F_OR = 6;

type CallNode = Extract<Node, { k: K.Call }>;
type IfNode = Extract<Node, { k: K.If }>;
type SeqNode = Extract<Node, { k: K.Seq }>;
type SetNode = Extract<Node, { k: K.SetLocal | K.SetGlobal }>;
type PartsNode = Extract<Node, { k: K.And | K.Or }>;

/** A Scheme interpreter over one {@link SchemeHeap}. */
export class Interpreter implements CompilerHost {
  readonly heap: SchemeHeap;
  readonly output: (text: string) => void;
  private readonly maxDepth: number;

  private readonly cells = new Map<Ptr, GlobalCell>();
  private readonly codes: Code[] = [];
  private readonly constants: Val[] = [];
  private readonly primitives: Primitive[] = [];
  /** Global values after the standard library was loaded, restored by {@link reset}. */
  private builtinValues = new Map<GlobalCell, Val>();
  private builtinCodes = 0;
  private builtinConstants = 0;
  private readonly fileNames: string[] = [];

  // --- the machine -----------------------------------------------------------------------------
  private kType: number[] = [];
  private kNode: (Node | null)[] = [];
  private kEnv: number[] = [];
  private kI: number[] = [];
  private kBase: number[] = [];
  private kTop = 0;
  /** Evaluated operands (owned). */
  readonly vstack: Val[] = [];
  /** The value being returned (owned). */
  private val: Val = UNSPECIFIED;
  /** The current environment (owned; 0 is the global environment). */
  private env: Ptr = 0;
  /** Values a primitive is building (owned); dropped on an error. */
  readonly scratch: Val[] = [];
  /** The current Scheme file id and line, and those of the callers (for errors). */
  private curFile = 0;
  private curLine = 0;
  private readonly savedFiles: number[] = [];
  private readonly savedLines: number[] = [];
  private running = false;

  constructor(options: InterpreterOptions = {}) {
    this.heap = new SchemeHeap(options);
    this.output = options.output ?? ((text) => process.stdout.write(text));
    this.maxDepth = options.maxDepth ?? 10_000_000;
    this.fileId('<unknown>');
    for (const name of Compiler.specialForms) this.heap.intern(name);
    for (const p of standardPrimitives()) this.definePrimitive(p);
    this.runSource(PRELUDE, '<prelude>');
    this.heap.makeSymbolsImmortal();
    this.snapshotBuiltins();
  }

  // --- the compiler host -----------------------------------------------------------------------

  globalCell(sym: Ptr): GlobalCell {
    let cell = this.cells.get(sym);
    if (cell === undefined) {
      cell = { name: this.heap.symbolName(sym), value: UNASSIGNED };
      this.heap.incref(sym);
      this.cells.set(sym, cell);
    }
    return cell;
  }

  addCode(code: Code): number {
    this.codes.push(code);
    return this.codes.length - 1;
  }

  addConstant(v: Val): void {
    if (isPtr(v)) {
      this.heap.incref(v);
      this.constants.push(v);
    }
  }

  // --- globals and primitives ------------------------------------------------------------------

  /** Binds a JS function as a Scheme procedure (replacing any global of that name). */
  definePrimitive(p: Primitive): void {
    const index = this.primitives.length;
    this.primitives.push(p);
    const proc = this.heap.makePrimitive(index);
    this.setGlobal(p.name, proc);
    this.heap.decref(proc);
  }

  /** Sets a global variable to `v` (borrowed). */
  setGlobal(name: string, v: Val): void {
    const cell = this.globalCell(this.heap.intern(name));
    this.heap.incref(v);
    const old = cell.value;
    cell.value = v;
    this.heap.decref(old);
  }

  /** The value of a global (borrowed), or undefined when unbound. */
  getGlobal(name: string): Val | undefined {
    const cell = this.cells.get(this.heap.intern(name));
    return cell === undefined || cell.value === UNASSIGNED ? undefined : cell.value;
  }

  /** The printed form of a value (`write` style, or `display` style with `display: true`). */
  format(v: Val, display = false): string {
    return toDisplayString(this.heap, v, !display, (p) => this.procedureName(p));
  }

  procedureName(p: Val): string {
    if (this.heap.is(p, this.heap.CLOSURE))
      return `#<procedure ${this.codes[this.heap.closureCode(p)]!.name}>`;
    if (this.heap.is(p, this.heap.PRIMITIVE))
      return `#<primitive ${this.primitives[this.heap.primitiveIndex(p)]!.name}>`;
    return '#<procedure>';
  }

  private snapshotBuiltins(): void {
    this.builtinValues = new Map();
    for (const cell of this.cells.values()) {
      this.heap.incref(cell.value);
      this.builtinValues.set(cell, cell.value);
    }
    this.builtinCodes = this.codes.length;
    this.builtinConstants = this.constants.length;
  }

  /**
   * Drops everything programs made: globals go back to the standard library's values, a full
   * collection frees the cycles, then the programs' code, constants and symbols are released.
   * Afterwards the heap holds what it held when the interpreter was new.
   */
  reset(): void {
    const heap = this.heap;
    for (const [sym, cell] of [...this.cells]) {
      const builtin = this.builtinValues.get(cell);
      const old = cell.value;
      if (builtin !== undefined) {
        heap.incref(builtin);
        cell.value = builtin;
      } else {
        cell.value = UNASSIGNED;
        this.cells.delete(sym);
      }
      heap.decref(old);
      if (builtin === undefined) heap.decref(sym);
    }
    heap.gc.collect();
    for (const v of this.constants.splice(this.builtinConstants)) heap.decref(v);
    this.codes.length = this.builtinCodes;
    heap.releaseUnusedSymbols();
  }

  // --- running ---------------------------------------------------------------------------------

  private fileId(name: string): number {
    const id = this.heap.frames.registerFile(name);
    this.fileNames[id] = name;
    return id;
  }

  /** Runs a Scheme file. */
  runFile(path: string, displayName = path): void {
    this.runSource(readFileSync(path, 'utf8'), displayName);
  }

  /**
   * Reads, compiles and runs every form of `text`; returns the printed value of the last one
   * (`write` style). Throws {@link SchemeError} (with file:line) when the program fails; the
   * forms before it have run.
   */
  runSource(text: string, fileName: string): string {
    const id = this.fileId(fileName);
    const reader = new Reader(this.heap, text, fileName, id);
    const compiler = new Compiler(this, fileName, id);
    let last = '';
    for (;;) {
      const form = reader.read();
      if (form === null) break;
      let node: Node;
      try {
        node = compiler.compileTop(form.datum, form.line);
      } finally {
        this.heap.decref(form.datum);
        compiler.releaseTemporaries();
      }
      const result = this.execute(node, id, form.line);
      last = result === UNSPECIFIED ? '' : this.format(result);
      this.heap.decref(result);
    }
    return last;
  }

  /** Evaluates a compiled top-level node; returns a new reference to its value. */
  execute(node: Node, file: number, line: number): Val {
    if (this.running) throw new Error('Interpreter.execute: already running (no reentrant calls)');
    this.running = true;
    const depth = this.heap.frames.depth;
    this.pushLocation(file, line);
    try {
      const v = this.loop(node);
      this.popLocation();
      return v;
    } catch (error) {
      if (error instanceof SchemeError)
        error.locate(this.fileNames[this.curFile] ?? '<unknown>', this.curLine);
      this.unwind(depth);
      throw error;
    } finally {
      this.running = false;
    }
  }

  private pushLocation(file: number, line: number): void {
    this.savedFiles.push(this.curFile);
    this.savedLines.push(this.curLine);
    this.curFile = file;
    this.curLine = line;
    this.heap.frames.push(file, line);
  }

  private popLocation(): void {
    this.heap.frames.pop();
    this.curFile = this.savedFiles.pop()!;
    this.curLine = this.savedLines.pop()!;
  }

  private setLine(line: number): void {
    if (line !== 0 && line !== this.curLine) {
      this.curLine = line;
      this.heap.frames.setLine(line);
    }
  }

  /** A Scheme error at the current location. */
  error(kind: SchemeErrorKind, message: string): SchemeError {
    return new SchemeError(kind, message, this.fileNames[this.curFile] ?? '<unknown>', this.curLine);
  }

  /** Drops every reference the machine holds (after an error). */
  private unwind(frameDepth: number): void {
    const heap = this.heap;
    for (let t = this.kTop - 1; t >= 0; t--) {
      heap.decref(this.kEnv[t]!);
      this.kNode[t] = null;
    }
    this.kTop = 0;
    for (const v of this.vstack) heap.decref(v);
    this.vstack.length = 0;
    for (const v of this.scratch) heap.decref(v);
    this.scratch.length = 0;
    heap.decref(this.val);
    this.val = UNSPECIFIED;
    heap.decref(this.env);
    this.env = 0;
    while (heap.frames.depth > frameDepth) this.popLocation();
  }

  private push(type: number, node: Node, i: number, base: number): void {
    const t = this.kTop++;
    this.kType[t] = type;
    this.kNode[t] = node;
    this.kEnv[t] = this.env;
    this.heap.incref(this.env);
    this.kI[t] = i;
    this.kBase[t] = base;
  }

  /** Pops frame `t` (the top), taking over its environment as the current one. */
  private popFrame(t: number): void {
    const old = this.env;
    this.env = this.kEnv[t]!;
    this.kNode[t] = null;
    this.kTop = t;
    this.heap.decref(old);
  }

  /** Makes frame `t`'s environment the current one, leaving the frame in place. */
  private useFrameEnv(t: number): void {
    const e = this.kEnv[t]!;
    if (e === this.env) return;
    this.heap.incref(e);
    const old = this.env;
    this.env = e;
    this.heap.decref(old);
  }

  /** The evaluator loop: evaluates `node` in the global environment; returns a new reference. */
  private loop(node: Node): Val {
    const heap = this.heap;
    let n: Node = node;
    let mode = EVAL;
    for (;;) {
      if (mode === EVAL) {
        switch (n.k) {
          case K.Const:
            heap.incref(n.value);
            this.val = n.value;
            mode = RET;
            break;
          case K.Local: {
            const v = heap.envGet(heap.envUp(this.env, n.depth), n.index);
            if (v === UNASSIGNED)
              throw this.error('unbound-variable', `${n.name}: used before its definition`);
            heap.incref(v);
            this.val = v;
            mode = RET;
            break;
          }
          case K.Global: {
            const v = n.cell.value;
            if (v === UNASSIGNED) throw this.error('unbound-variable', `unbound variable: ${n.cell.name}`);
            heap.incref(v);
            this.val = v;
            mode = RET;
            break;
          }
          case K.SetLocal:
          case K.SetGlobal:
            this.setLine(n.line);
            this.push(F_SET, n, 0, 0);
            n = n.value;
            break;
          case K.If:
            this.setLine(n.line);
            this.push(F_IF, n, 0, 0);
            n = n.test;
            break;
          case K.Lambda:
            this.val = heap.makeClosure(n.code.index, this.env);
            mode = RET;
            break;
          case K.Seq:
            this.push(F_SEQ, n, 1, 0);
            n = n.body[0]!;
            break;
          case K.Call:
            this.setLine(n.line);
            this.push(F_CALL, n, 0, this.vstack.length);
            n = n.fn;
            break;
          case K.And:
          case K.Or:
            this.push(n.k === K.And ? F_AND : F_OR, n, 1, 0);
            n = n.parts[0]!;
            break;
        }
        continue;
      }
      // RET: hand this.val to the top continuation frame.
      const t = this.kTop - 1;
      if (t < 0) {
        const v = this.val;
        this.val = UNSPECIFIED;
        heap.decref(this.env);
        this.env = 0;
        return v;
      }
      switch (this.kType[t]) {
        case F_RET:
          this.popFrame(t);
          this.popLocation();
          break;
        case F_IF: {
          const f = this.kNode[t] as IfNode;
          const v = this.val;
          this.val = UNSPECIFIED;
          heap.decref(v);
          this.popFrame(t);
          n = v !== FALSE ? f.consequent : f.alternative;
          mode = EVAL;
          break;
        }
        case F_SEQ: {
          const f = this.kNode[t] as SeqNode;
          heap.decref(this.val);
          this.val = UNSPECIFIED;
          const i = this.kI[t]!;
          if (i === f.body.length - 1) {
            this.popFrame(t);
          } else {
            this.kI[t] = i + 1;
            this.useFrameEnv(t);
          }
          n = f.body[i]!;
          mode = EVAL;
          break;
        }
        case F_CALL: {
          const f = this.kNode[t] as CallNode;
          this.vstack.push(this.val);
          this.val = UNSPECIFIED;
          const i = ++this.kI[t]!;
          if (i <= f.args.length) {
            this.useFrameEnv(t);
            n = f.args[i - 1]!;
            mode = EVAL;
            break;
          }
          const base = this.kBase[t]!;
          this.popFrame(t);
          this.setLine(f.line);
          const next = this.apply(base);
          if (next !== null) {
            n = next;
            mode = EVAL;
          }
          break;
        }
        case F_SET: {
          const f = this.kNode[t] as SetNode;
          this.popFrame(t);
          const v = this.val;
          this.val = UNSPECIFIED;
          if (f.k === K.SetLocal) {
            const e = heap.envUp(this.env, f.depth);
            if (!f.define && heap.envGet(e, f.index) === UNASSIGNED) {
              heap.decref(v);
              throw this.error('unbound-variable', 'set! of a variable before its definition');
            }
            heap.envSet(e, f.index, v);
            heap.decref(v);
          } else {
            if (!f.define && f.cell.value === UNASSIGNED) {
              heap.decref(v);
              throw this.error('unbound-variable', `set!: unbound variable: ${f.cell.name}`);
            }
            const old = f.cell.value;
            f.cell.value = v;
            heap.decref(old);
          }
          break;
        }
        case F_AND:
        case F_OR: {
          const f = this.kNode[t] as PartsNode;
          const v = this.val;
          const done = this.kType[t] === F_AND ? v === FALSE : v !== FALSE;
          if (done) {
            this.popFrame(t);
            break;
          }
          heap.decref(v);
          this.val = UNSPECIFIED;
          const i = this.kI[t]!;
          if (i === f.parts.length - 1) this.popFrame(t);
          else {
            this.kI[t] = i + 1;
            this.useFrameEnv(t);
          }
          n = f.parts[i]!;
          mode = EVAL;
          break;
        }
      }
    }
  }

  /**
   * Applies vstack[base] to vstack[base+1..]. A primitive's result goes to `val` (returns null);
   * a closure gets a new environment and its body is returned for evaluation, as a tail call
   * when the caller's frame is a procedure return.
   */
  private apply(base: number): Node | null {
    const heap = this.heap;
    const vstack = this.vstack;
    for (;;) {
      const fn = vstack[base]!;
      const argc = vstack.length - base - 1;
      if (heap.is(fn, heap.PRIMITIVE)) {
        const p = this.primitives[heap.primitiveIndex(fn)]!;
        if (argc < p.minArgs || (p.maxArgs >= 0 && argc > p.maxArgs))
          throw this.arityError(p.name, argc, p.minArgs, p.maxArgs);
        if (p.name === 'apply') {
          this.spreadApply(base);
          continue;
        }
        const result = p.fn(this, vstack, base + 1, argc);
        for (let k = vstack.length - 1; k >= base; k--) heap.decref(vstack[k]!);
        vstack.length = base;
        this.val = result;
        return null;
      }
      if (!heap.is(fn, heap.CLOSURE)) {
        throw this.error('wrong-type', `not a procedure: ${this.format(fn)}`);
      }
      const code = this.codes[heap.closureCode(fn)]!;
      if (argc < code.nreq || (!code.rest && argc > code.nreq)) {
        throw this.arityError(code.name, argc, code.nreq, code.rest ? -1 : code.nreq);
      }
      const first = base + 1;
      if (code.rest) {
        // The extra arguments as a list, kept in scratch until the frame owns it.
        this.scratch.push(NIL);
        for (let k = vstack.length - 1; k >= first + code.nreq; k--) {
          const list = heap.cons(vstack[k]!, this.scratch[this.scratch.length - 1]!);
          heap.decref(this.scratch[this.scratch.length - 1]!);
          this.scratch[this.scratch.length - 1] = list;
        }
      }
      const e = heap.makeEnv(heap.closureEnv(fn), code.frameSize);
      for (let i = 0; i < code.nreq; i++) heap.envInit(e, i, vstack[first + i]!);
      if (code.rest) {
        heap.envInit(e, code.nreq, this.scratch.pop()!);
        for (let k = first + code.nreq; k < vstack.length; k++) heap.decref(vstack[k]!);
      }
      vstack.length = base;
      heap.decref(fn);
      const t = this.kTop - 1;
      if (t >= 0 && this.kType[t] === F_RET) {
        this.popLocation(); // a tail call: this activation replaces the caller's
        this.pushLocation(code.file, code.line);
      } else {
        if (this.savedFiles.length >= this.maxDepth) {
          heap.decref(e);
          throw this.error('recursion-depth', `maximum recursion depth exceeded (${this.maxDepth})`);
        }
        this.push(F_RET, code.body, 0, 0);
        this.pushLocation(code.file, code.line);
      }
      const old = this.env;
      this.env = e;
      heap.decref(old);
      heap.gc.safePoint();
      return code.body;
    }
  }

  /** `(apply f a ... list)` → `(f a ... items of list)` on the value stack. */
  private spreadApply(base: number): void {
    const heap = this.heap;
    const vstack = this.vstack;
    if (vstack.length - base < 3) throw this.arityError('apply', vstack.length - base - 1, 2, -1);
    const list = vstack.pop()!;
    this.scratch.push(list);
    const applyProc = vstack[base]!;
    vstack.splice(base, 1);
    heap.decref(applyProc);
    let x = list;
    while (heap.is(x, heap.PAIR)) {
      const item = heap.car(x);
      heap.incref(item);
      vstack.push(item);
      x = heap.cdr(x);
    }
    if (x !== NIL) throw this.error('wrong-type', `apply: not a proper list: ${this.format(list)}`);
    this.scratch.pop();
    heap.decref(list);
  }

  private arityError(name: string, argc: number, min: number, max: number): SchemeError {
    const expected = max < 0 ? `at least ${min}` : min === max ? `${min}` : `${min} to ${max}`;
    return this.error(
      'arity',
      `${name}: expected ${expected} argument${expected === '1' ? '' : 's'}, got ${argc}`,
    );
  }

  /** The depth of Scheme procedure calls now running (for tests and the REPL). */
  get callDepth(): number {
    return this.savedFiles.length;
  }
}
