/**
 * {@link RuntimeFrameStack}: tracebacks from the guest program's own frames, which a runtime
 * (an interpreter, an emulator) pushes and pops as it calls and returns, with integer ids: no JS
 * stack walk at allocation time. This is what makes tracing cheap and meaningful for an
 * interpreter: the traceback names the guest's files and lines, not the interpreter's.
 *
 * ```
 *   depth ──► files[0..depth)      guest file ids (from registerFile), the oldest call at 0
 *             lines[0..depth)      the current line of each frame (setLine updates the top one)
 *             functions[0..depth)  guest function ids (from registerFunction), -1: not given
 * ```
 *
 * File and function names share one registry (`names`): an id is an index into it.
 *
 * Capture cost: with a limit of 1 (tracemalloc's default), a direct-mapped memo from the top
 * frame's line to the traceback id, valid until the next push or pop, answers an interpreter
 * moving from line to line inside a function with one probe (measured: 6.5 ns to 4 ns per
 * setLine + capture on a loaded 2-core machine, against the memo below); past it, a memo from
 * (top file, top line, top function, depth) answers most of the rest with one probe, so the
 * traceback is not re-interned at every allocation. Other limits: when nothing changed since
 * the last capture (same stack, same lines), the previous traceback id is returned at once. Otherwise: `min(depth, limit)` integer frame lookups and one
 * traceback lookup in the profiler's table. push, pop and setLine are a few typed-array stores.
 */

import { UNKNOWN_FILENAME } from './frame.js';
import type { FrameSource, StackCutoff } from './frame-source.js';
import type { TracebackTable } from './traceback-table.js';

/** Slots of the limit-1 memo (a power of two). */
const MEMO_SLOTS = 1024;
/** Slots of the line memo of the current top frame (a power of two). */
const LINE_SLOTS = 256;

/**
 * A frame source fed by a runtime: register each guest file (and function) once, then `push` on
 * call, `setLine` as execution moves, `pop` on return. Pass it as `new Profiler({ frameSource })`. Not in
 * CPython, whose tracemalloc reads the interpreter's own frames the same way.
 */
export class RuntimeFrameStack implements FrameSource {
  private names: string[] = [];
  private nameIds = new Map<string, number>();
  private files = new Int32Array(64);
  private lines = new Int32Array(64);
  private functions = new Int32Array(64);
  private top = 0;
  /** Bumped on every change; a capture with the same version returns the cached traceback. */
  private version = 0;
  private cachedVersion = -1;
  private cachedGeneration = -1;
  private cachedLimit = 0;
  private cachedTraceback = 0;
  /** The limit-1 memo: slot → (file, line, depth, traceback id); valid for `memoGeneration`. */
  private readonly memoFile = new Int32Array(MEMO_SLOTS).fill(-1);
  private readonly memoLine = new Int32Array(MEMO_SLOTS);
  private readonly memoFunction = new Int32Array(MEMO_SLOTS);
  private readonly memoDepth = new Int32Array(MEMO_SLOTS);
  private readonly memoTraceback = new Int32Array(MEMO_SLOTS);
  private memoGeneration = -1;
  /**
   * The line memo (limit 1): line → traceback id for the current top frame, valid while the
   * stack keeps its shape (`shape` changes on every push and pop) in table generation
   * `lineGeneration`: one probe keyed by the line alone, for an interpreter moving from line to
   * line inside a function.
   */
  private readonly lineShape = new Int32Array(LINE_SLOTS).fill(-1);
  private readonly lineLine = new Int32Array(LINE_SLOTS);
  private readonly lineTraceback = new Int32Array(LINE_SLOTS);
  private lineGeneration = -1;
  /** Bumped by push and pop. */
  private shape = 0;
  /** Guest name id → name id in the table of generation `tableGeneration` (-1: not yet). */
  private tableNames = new Int32Array(64).fill(-1);
  private tableGeneration = -1;

  /** The id of a guest file name (interned: the same name gives the same id). */
  registerFile(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
      if (id >= this.tableNames.length)
        this.tableNames = grown(this.tableNames, this.tableNames.length * 2, -1);
    }
    return id;
  }

  /**
   * The id of a guest function name, for {@link push} (interned like files, in the same
   * registry: the same name gives the same id).
   */
  registerFunction(name: string): number {
    return this.registerFile(name);
  }

  /**
   * Enters a call: a new most recent frame in `file` (an id from {@link registerFile}) at `line`,
   * in function `func` (an id from {@link registerFunction}; omitted or -1: not known).
   */
  push(file: number, line: number, func = -1): void {
    if (!((file | 0) === file && file >= 0 && file < this.names.length)) {
      throw new RangeError(`RuntimeFrameStack.push: unknown file id ${file} (use registerFile)`);
    }
    if (!((func | 0) === func && func >= -1 && func < this.names.length)) {
      throw new RangeError(
        `RuntimeFrameStack.push: unknown function id ${func} (use registerFunction, or -1 for none)`,
      );
    }
    if (this.top === this.files.length) {
      this.files = grown(this.files, this.top * 2, 0);
      this.lines = grown(this.lines, this.top * 2, 0);
      this.functions = grown(this.functions, this.top * 2, 0);
    }
    this.files[this.top] = file;
    this.lines[this.top] = line;
    this.functions[this.top] = func;
    this.top++;
    this.version++;
    this.shape = (this.shape + 1) | 0;
  }

  /** Moves the most recent frame to `line`. */
  setLine(line: number): void {
    if (this.top === 0) throw new RangeError('RuntimeFrameStack.setLine: the stack is empty');
    this.lines[this.top - 1] = line;
    this.version++;
  }

  /** Leaves the most recent frame. */
  pop(): void {
    if (this.top === 0) throw new RangeError('RuntimeFrameStack.pop: the stack is empty');
    this.top--;
    this.version++;
    this.shape = (this.shape + 1) | 0;
  }

  /** The number of frames on the stack. */
  get depth(): number {
    return this.top;
  }

  /**
   * The traceback id of the current stack, at most `limit` frames. Limit 1, the common case,
   * moving from line to line: four loads and three compares (the line memo); see the file
   * comment for the rest.
   */
  capture(table: TracebackTable, limit: number, _entry: StackCutoff): number {
    if (limit === 1 && this.top > 0) {
      const line = this.lines[this.top - 1]!;
      const slot = line & (LINE_SLOTS - 1);
      if (
        this.lineLine[slot] === line &&
        this.lineShape[slot] === this.shape &&
        this.lineGeneration === table.generation
      ) {
        return this.lineTraceback[slot]!;
      }
    }
    return this.captureAny(table, limit);
  }

  /**
   * {@link capture} past the line memo, out of line: the fast path is what a traced `malloc`
   * inlines, so it is kept small in bytecode (see `TracedAllocator.malloc`).
   */
  private captureAny(table: TracebackTable, limit: number): number {
    if (limit === 1 && this.top > 0) {
      const line = this.lines[this.top - 1]!;
      return this.captureTop(table, line, line & (LINE_SLOTS - 1));
    }
    if (
      this.cachedVersion === this.version &&
      this.cachedGeneration === table.generation &&
      this.cachedLimit === limit
    ) {
      return this.cachedTraceback;
    }
    return this.intern(table, limit);
  }

  /** Limit 1 past the line memo: the (file, line, function, depth) memo, else intern; remember. */
  private captureTop(table: TracebackTable, line: number, lineSlot: number): number {
    if (this.memoGeneration !== table.generation) {
      this.memoFile.fill(-1);
      this.memoGeneration = table.generation;
    }
    if (this.lineGeneration !== table.generation) {
      this.lineShape.fill(-1);
      this.lineGeneration = table.generation;
    }
    const file = this.files[this.top - 1]!;
    const func = this.functions[this.top - 1]!;
    const slot =
      (Math.imul(line, 0x9e3779b1) ^ Math.imul(file, 0x85ebca77) ^ Math.imul(func, 0xc2b2ae3d) ^ this.top) &
      (MEMO_SLOTS - 1);
    let id: number;
    if (
      this.memoFile[slot] === file &&
      this.memoLine[slot] === line &&
      this.memoFunction[slot] === func &&
      this.memoDepth[slot] === this.top
    ) {
      id = this.memoTraceback[slot]!;
    } else {
      id = this.intern(table, 1);
      this.memoFile[slot] = file;
      this.memoLine[slot] = line;
      this.memoFunction[slot] = func;
      this.memoDepth[slot] = this.top;
      this.memoTraceback[slot] = id;
    }
    this.lineShape[lineSlot] = this.shape;
    this.lineLine[lineSlot] = line;
    this.lineTraceback[lineSlot] = id;
    return id;
  }

  /** Interns the top `limit` frames in the table (and caches the id for an unchanged stack). */
  private intern(table: TracebackTable, limit: number): number {
    if (this.tableGeneration !== table.generation) {
      this.tableNames.fill(-1);
      this.tableGeneration = table.generation;
    }
    table.beginTraceback();
    const n = Math.min(this.top, limit);
    for (let i = 1; i <= n; i++) {
      const guestFunction = this.functions[this.top - i]!;
      table.pushFrame(
        this.tableName(table, this.files[this.top - i]!),
        this.lines[this.top - i]!,
        guestFunction < 0 ? -1 : this.tableName(table, guestFunction),
      );
    }
    if (n === 0) table.pushFrame(table.fileId(UNKNOWN_FILENAME), 0);
    const id = table.endTraceback(this.top === 0 ? 1 : this.top);
    this.cachedVersion = this.version;
    this.cachedGeneration = table.generation;
    this.cachedLimit = limit;
    this.cachedTraceback = id;
    return id;
  }

  /** The table's id of guest name `guest` (interned there on first use in this generation). */
  private tableName(table: TracebackTable, guest: number): number {
    let id = this.tableNames[guest]!;
    if (id < 0) {
      id = table.fileId(this.names[guest]!);
      this.tableNames[guest] = id;
    }
    return id;
  }
}

/** A copy of `array` with room for `length` items, the new ones set to `fill`. */
function grown(array: Int32Array<ArrayBuffer>, length: number, fill: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(length).fill(fill);
  next.set(array);
  return next;
}
