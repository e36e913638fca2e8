/**
 * {@link SchemeHeap}: the one heapkit memory every Scheme value lives in, and the object layouts.
 *
 * ```
 *   Memory (maxBytes = --heap-limit)
 *     └─ ArenaAllocator (debug with --debug-malloc)
 *          └─ Profiler.wrap (tracemalloc; frames from a RuntimeFrameStack fed with Scheme lines)
 *               └─ ObjectSpace (refcounts; debug with --debug-malloc)
 *                    └─ CycleCollector (automatic: 'safepoint', called from the evaluator loop)
 * ```
 *
 * Object layouts (payload words after refcount's 8-byte header, plus 8 for var types):
 *
 * ```
 *   pair      gc   car: Val │ cdr: Val │ line: u32 │ file: u32      (line/file 0 unless read from source)
 *   closure   gc   code: u32 (index of a compiled lambda) │ env: ref (0 = the global environment)
 *   env       gc   var: parent: ref │ pad │ items: Val × length    (one frame of local variables)
 *   vector    gc   var: items: Val × length
 *   string         var: UTF-8 bytes
 *   symbol         var: UTF-8 bytes; interned
 *   flonum         f64
 *   primitive      index: u32 (into the interpreter's primitive table)
 * ```
 *
 * Vals (pair, env, vector) live in refcount's value slots: a pointer there is counted, traversed
 * and cleared by refcount and the collector, a fixnum or constant (low bit 1) is left alone.
 * Stores into a live object go through `setValue`; a fresh object's zeroed slots are filled
 * directly with values the caller owns (as CPython's `PyTuple_SET_ITEM` fills a new tuple).
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { CycleCollector } from '@heapkit/gc-generational';
import { Memory, MemoryError, type Ptr } from '@heapkit/memory';
import { Profiler, RuntimeFrameStack, type TracedAllocator } from '@heapkit/profiler';
import { ObjectSpace, TYPE_ID_MASK } from '@heapkit/refcount';
import { SchemeError } from './errors.js';
import { fitsFixnum, fixnum, isPtr, UNASSIGNED, type Val } from './value.js';

/** Options of a {@link SchemeHeap}. */
export interface HeapOptions {
  /** Memory.maxBytes: the heap cannot grow beyond this (default 1 GiB). */
  readonly heapLimit?: number;
  /** ArenaAllocator debug mode and ObjectSpace debug checks (`--debug-malloc`). */
  readonly debug?: boolean;
  /**
   * Start tracing allocations at once, keeping this many Scheme frames per traceback
   * (`--trace-alloc`). The object space's free lists stay on: the space tells the traced
   * allocator of every block they keep and hand out again, so the profiler's figures are exact.
   */
  readonly traceFrames?: number;
}

/** Payload byte offsets of the value slots (what `setValue` takes). */
const CAR_OFFSET = 0;
const CDR_OFFSET = 4;
/** Env: the parent reference at 0, a pad word, then the items. */
const ENV_ITEMS_OFFSET = 8;

/** Word offsets from the object pointer (>>> 2) of the fields. */
const PAIR_CAR = 2;
const PAIR_CDR = 3;
const PAIR_LINE = 4;
const PAIR_FILE = 5;
const CLOSURE_CODE = 2;
const CLOSURE_ENV = 3;
/** Env and vector: words 2-3 are the var header (length, pad). */
const ENV_PARENT = 4;
const ENV_ITEMS = 6;
const VECTOR_ITEMS = 4;
const VAR_LENGTH = 2;
const BYTES_OFFSET = 16;
const PRIMITIVE_INDEX = 2;

/** The memory, its allocator stack and the Scheme object types. */
export class SchemeHeap {
  readonly memory: Memory;
  readonly allocator: ArenaAllocator;
  readonly profiler: Profiler;
  /** Scheme frames (file, line) for the profiler's tracebacks. */
  readonly frames: RuntimeFrameStack;
  readonly traced: TracedAllocator;
  readonly space: ObjectSpace;
  readonly gc: CycleCollector;

  readonly PAIR: number;
  readonly CLOSURE: number;
  readonly ENV: number;
  readonly VECTOR: number;
  readonly STRING: number;
  readonly SYMBOL: number;
  readonly FLONUM: number;
  readonly PRIMITIVE: number;

  private readonly symbols = new Map<string, Ptr>();
  private readonly symbolNames = new Map<Ptr, string>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(options: HeapOptions = {}) {
    const maxBytes = options.heapLimit ?? 1 << 30;
    const small = maxBytes < 16 << 20;
    this.memory = new Memory({ initialBytes: Math.min(1 << 20, maxBytes), maxBytes });
    this.allocator = new ArenaAllocator({
      memory: this.memory,
      debug: options.debug ?? false,
      arenaSize: small ? 64 << 10 : 1 << 20,
    });
    this.frames = new RuntimeFrameStack();
    this.profiler = new Profiler({ frameSource: this.frames });
    this.traced = this.profiler.wrap(this.allocator);
    if (options.traceFrames !== undefined) this.profiler.start(options.traceFrames);
    this.space = new ObjectSpace(this.traced, { debug: options.debug ?? false });
    this.gc = new CycleCollector(this.space, { automatic: 'safepoint' });
    const space = this.space;
    this.PAIR = space.registerType({ name: 'pair', size: 16, values: [CAR_OFFSET, CDR_OFFSET], gc: true }).id;
    this.CLOSURE = space.registerType({ name: 'closure', size: 8, refs: [4], gc: true }).id;
    this.ENV = space.registerType({
      name: 'environment',
      size: ENV_ITEMS_OFFSET,
      refs: [0],
      itemSize: 4,
      itemValues: [0],
      gc: true,
    }).id;
    this.VECTOR = space.registerType({ name: 'vector', itemSize: 4, itemValues: [0], gc: true }).id;
    this.STRING = space.registerType({ name: 'string', itemSize: 1 }).id;
    this.SYMBOL = space.registerType({ name: 'symbol', itemSize: 1 }).id;
    this.FLONUM = space.registerType({ name: 'flonum', size: 8 }).id;
    this.PRIMITIVE = space.registerType({ name: 'primitive', size: 8 }).id;
  }

  // --- references ------------------------------------------------------------------------------

  incref(v: Val): void {
    if (isPtr(v)) this.space.incref(v);
  }

  decref(v: Val): void {
    if (isPtr(v)) this.space.decref(v);
  }

  /** Stores `v` in word `word` of a fresh object whose field holds no reference, stealing `v`. */
  private initField(obj: Ptr, word: number, v: Val): void {
    this.memory.u32[(obj >>> 2) + word] = v;
  }

  /** `space.alloc`, with exhaustion as a Scheme out-of-memory error. */
  alloc(type: number, length = 0): Ptr {
    try {
      return this.space.alloc(type, length);
    } catch (error) {
      if (error instanceof MemoryError) {
        throw new SchemeError('out-of-memory', `out of memory (heap limit ${this.memory.maxBytes} bytes)`);
      }
      throw error;
    }
  }

  typeOf(v: Val): number {
    return isPtr(v) ? this.memory.u32[(v >>> 2) + 1]! & TYPE_ID_MASK : 0;
  }

  is(v: Val, type: number): boolean {
    return isPtr(v) && (this.memory.u32[(v >>> 2) + 1]! & TYPE_ID_MASK) === type;
  }

  // --- pairs -----------------------------------------------------------------------------------

  /** A new pair of borrowed `car` and `cdr` (new reference). */
  cons(car: Val, cdr: Val, line = 0, file = 0): Ptr {
    const p = this.alloc(this.PAIR);
    this.incref(car);
    this.incref(cdr);
    const u32 = this.memory.u32;
    const w = p >>> 2;
    u32[w + PAIR_CAR] = car;
    u32[w + PAIR_CDR] = cdr;
    u32[w + PAIR_LINE] = line;
    u32[w + PAIR_FILE] = file;
    return p;
  }

  /** A new pair that takes over the caller's references to `car` and `cdr` (if alloc fails, they stay the caller's). */
  consSteal(car: Val, cdr: Val, line = 0, file = 0): Ptr {
    const p = this.alloc(this.PAIR);
    const u32 = this.memory.u32;
    const w = p >>> 2;
    u32[w + PAIR_CAR] = car;
    u32[w + PAIR_CDR] = cdr;
    u32[w + PAIR_LINE] = line;
    u32[w + PAIR_FILE] = file;
    return p;
  }

  car(p: Ptr): Val {
    return this.memory.u32[(p >>> 2) + PAIR_CAR]!;
  }

  cdr(p: Ptr): Val {
    return this.memory.u32[(p >>> 2) + PAIR_CDR]!;
  }

  setCar(p: Ptr, v: Val): void {
    this.space.setValue(p, CAR_OFFSET, v);
  }

  setCdr(p: Ptr, v: Val): void {
    this.space.setValue(p, CDR_OFFSET, v);
  }

  /** The source line of a pair read from a file (0 otherwise). */
  pairLine(p: Ptr): number {
    return this.memory.u32[(p >>> 2) + PAIR_LINE]!;
  }

  pairFile(p: Ptr): number {
    return this.memory.u32[(p >>> 2) + PAIR_FILE]!;
  }

  // --- closures and environments ---------------------------------------------------------------

  makeClosure(code: number, env: Ptr): Ptr {
    const c = this.alloc(this.CLOSURE);
    this.initField(c, CLOSURE_CODE, code);
    if (env !== 0) this.space.setRef(c, 4, env);
    return c;
  }

  closureCode(c: Ptr): number {
    return this.memory.u32[(c >>> 2) + CLOSURE_CODE]!;
  }

  closureEnv(c: Ptr): Ptr {
    return this.memory.u32[(c >>> 2) + CLOSURE_ENV]!;
  }

  /** A new frame of `size` unassigned variables under `parent` (borrowed). */
  makeEnv(parent: Ptr, size: number): Ptr {
    const e = this.alloc(this.ENV, size);
    const u32 = this.memory.u32;
    const w = e >>> 2;
    u32.fill(UNASSIGNED, w + ENV_ITEMS, w + ENV_ITEMS + size);
    if (parent !== 0) this.space.setRef(e, 0, parent);
    return e;
  }

  envParent(e: Ptr): Ptr {
    return this.memory.u32[(e >>> 2) + ENV_PARENT]!;
  }

  /** The frame `depth` levels up from `e`. */
  envUp(e: Ptr, depth: number): Ptr {
    const u32 = this.memory.u32;
    for (let d = 0; d < depth; d++) e = u32[(e >>> 2) + ENV_PARENT]!;
    return e;
  }

  envGet(e: Ptr, index: number): Val {
    return this.memory.u32[(e >>> 2) + ENV_ITEMS + index]!;
  }

  envSet(e: Ptr, index: number, v: Val): void {
    this.space.setValue(e, ENV_ITEMS_OFFSET + 4 * index, v);
  }

  /** Stores an owned value in a fresh frame slot (which holds UNASSIGNED). */
  envInit(e: Ptr, index: number, v: Val): void {
    this.initField(e, ENV_ITEMS + index, v);
  }

  // --- vectors ---------------------------------------------------------------------------------

  makeVector(n: number, fill: Val): Ptr {
    const v = this.alloc(this.VECTOR, n);
    if (isPtr(fill)) for (let i = 0; i < n; i++) this.space.incref(fill);
    const w = v >>> 2;
    this.memory.u32.fill(fill, w + VECTOR_ITEMS, w + VECTOR_ITEMS + n);
    return v;
  }

  length(obj: Ptr): number {
    return this.memory.u32[(obj >>> 2) + VAR_LENGTH]!;
  }

  vectorRef(v: Ptr, i: number): Val {
    return this.memory.u32[(v >>> 2) + VECTOR_ITEMS + i]!;
  }

  vectorSet(v: Ptr, i: number, x: Val): void {
    this.space.setValue(v, 4 * i, x);
  }

  // --- strings, symbols, numbers, primitives ---------------------------------------------------

  makeString(s: string): Ptr {
    const bytes = this.encoder.encode(s);
    const p = this.alloc(this.STRING, bytes.length);
    this.memory.u8.set(bytes, p + BYTES_OFFSET);
    return p;
  }

  /** The text of a string or symbol object. */
  text(p: Ptr): string {
    const start = p + BYTES_OFFSET;
    return this.decoder.decode(this.memory.u8.subarray(start, start + this.length(p)));
  }

  /**
   * The symbol named `name` (a borrowed reference: the symbol table owns one reference to
   * each symbol; {@link makeSymbolsImmortal} makes the current ones immortal).
   */
  intern(name: string): Ptr {
    let sym = this.symbols.get(name);
    if (sym === undefined) {
      const bytes = this.encoder.encode(name);
      sym = this.alloc(this.SYMBOL, bytes.length);
      this.memory.u8.set(bytes, sym + BYTES_OFFSET);
      this.symbols.set(name, sym);
      this.symbolNames.set(sym, name);
    }
    return sym;
  }

  symbolName(sym: Ptr): string {
    return this.symbolNames.get(sym) ?? this.text(sym);
  }

  /** Makes every symbol interned so far immortal (PEP 683): the interpreter's own names. */
  makeSymbolsImmortal(): void {
    for (const sym of this.symbols.values()) this.space.makeImmortal(sym);
  }

  /** Forgets the symbols nothing but the symbol table refers to (immortal ones stay). */
  releaseUnusedSymbols(): void {
    for (const [name, sym] of this.symbols) {
      if (!this.space.isImmortal(sym) && this.space.getRefcount(sym) === 1) {
        this.symbols.delete(name);
        this.symbolNames.delete(sym);
        this.space.decref(sym);
      }
    }
  }

  makeFlonum(x: number): Ptr {
    const p = this.alloc(this.FLONUM);
    this.memory.f64[(p + 8) >>> 3] = x;
    return p;
  }

  flonumValue(p: Ptr): number {
    return this.memory.f64[(p + 8) >>> 3]!;
  }

  /** An exact result as a fixnum when it fits, else (and for inexact ones) a boxed float. */
  makeNumber(x: number, inexact: boolean): Val {
    if (!inexact && fitsFixnum(x)) return fixnum(x);
    return this.makeFlonum(x);
  }

  makePrimitive(index: number): Ptr {
    const p = this.alloc(this.PRIMITIVE);
    this.initField(p, PRIMITIVE_INDEX, index);
    return p;
  }

  primitiveIndex(p: Ptr): number {
    return this.memory.u32[(p >>> 2) + PRIMITIVE_INDEX]!;
  }

  // --- introspection ---------------------------------------------------------------------------

  /** Bytes in use in the allocator (requested sizes in debug mode). */
  bytesInUse(): number {
    return this.allocator.stats().bytesInUse;
  }

  /** Checks the whole heap: every object (refcount) and every allocator structure. */
  validate(): void {
    this.space.validate();
    this.allocator.validate();
  }
}
