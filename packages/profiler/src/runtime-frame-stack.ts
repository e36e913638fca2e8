/**
 * {@link RuntimeFrameStack}: tracebacks from the guest program's own frames, which a runtime
 * (an interpreter, an emulator) pushes and pops as it calls and returns, with integer ids: no JS
 * stack walk at allocation time. This is what makes tracing cheap and meaningful for an
 * interpreter: the traceback names the guest's files and lines, not the interpreter's.
 *
 * ```
 *   depth ──► files[0..depth)  guest file ids (from registerFile), the oldest call at 0
 *             lines[0..depth)  the current line of each frame (setLine updates the top one)
 * ```
 *
 * Capture cost: when nothing changed since the last capture (same stack, same lines), the
 * previous traceback id is returned at once; otherwise `min(depth, limit)` integer frame
 * lookups and one traceback lookup in the profiler's table. push, pop and setLine are a few
 * typed-array stores.
 */

import { UNKNOWN_FILENAME } from './frame.js';
import type { FrameSource, StackCutoff } from './frame-source.js';
import type { TracebackTable } from './traceback-table.js';

export class RuntimeFrameStack implements FrameSource {
  private names: string[] = [];
  private nameIds = new Map<string, number>();
  private files = new Int32Array(64);
  private lines = new Int32Array(64);
  private top = 0;
  /** Bumped on every change; a capture with the same version returns the cached traceback. */
  private version = 0;
  private cachedVersion = -1;
  private cachedGeneration = -1;
  private cachedLimit = 0;
  private cachedTraceback = 0;
  /** Guest file id → file id in the table of generation `tableGeneration` (-1: not yet). */
  private tableFiles = new Int32Array(64).fill(-1);
  private tableGeneration = -1;

  /** The id of a guest file name (interned: the same name gives the same id). */
  registerFile(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
      if (id >= this.tableFiles.length) {
        const next = new Int32Array(this.tableFiles.length * 2).fill(-1);
        next.set(this.tableFiles);
        this.tableFiles = next;
      }
    }
    return id;
  }

  /** Enters a call: a new most recent frame in `file` (an id from {@link registerFile}) at `line`. */
  push(file: number, line: number): void {
    if (!(file >= 0 && file < this.names.length)) {
      throw new RangeError(`RuntimeFrameStack.push: unknown file id ${file} (use registerFile)`);
    }
    if (this.top === this.files.length) {
      const files = new Int32Array(this.top * 2);
      const lines = new Int32Array(this.top * 2);
      files.set(this.files);
      lines.set(this.lines);
      this.files = files;
      this.lines = lines;
    }
    this.files[this.top] = file;
    this.lines[this.top] = line;
    this.top++;
    this.version++;
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
  }

  /** The number of frames on the stack. */
  get depth(): number {
    return this.top;
  }

  capture(table: TracebackTable, limit: number, _entry: StackCutoff): number {
    if (
      this.cachedVersion === this.version &&
      this.cachedGeneration === table.generation &&
      this.cachedLimit === limit
    ) {
      return this.cachedTraceback;
    }
    if (this.tableGeneration !== table.generation) {
      this.tableFiles.fill(-1);
      this.tableGeneration = table.generation;
    }
    table.beginTraceback();
    const n = Math.min(this.top, limit);
    for (let i = 1; i <= n; i++) {
      const guest = this.files[this.top - i]!;
      let file = this.tableFiles[guest]!;
      if (file < 0) {
        file = table.fileId(this.names[guest]!);
        this.tableFiles[guest] = file;
      }
      table.pushFrame(file, this.lines[this.top - i]!);
    }
    if (n === 0) table.pushFrame(table.fileId(UNKNOWN_FILENAME), 0);
    const id = table.endTraceback(this.top === 0 ? 1 : this.top);
    this.cachedVersion = this.version;
    this.cachedGeneration = table.generation;
    this.cachedLimit = limit;
    this.cachedTraceback = id;
    return id;
  }
}
