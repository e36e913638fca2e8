/**
 * Where tracebacks come from. The profiler asks its {@link FrameSource} for the current
 * traceback at every traced allocation; the source reads its stack and interns it in the
 * profiler's {@link TracebackTable}. Two ship with the package: `JsStackFrameSource` (the JS
 * call stack, the default) and `RuntimeFrameStack` (frames a guest runtime pushes and pops).
 */
import type { TracebackTable } from './traceback-table.js';

/** A function whose frame and everything above it a JS stack capture leaves out. */
export type StackCutoff = (...args: never[]) => unknown;

/** Where a profiler's tracebacks come from (see the file comment). */
export interface FrameSource {
  /**
   * Interns the current traceback, at most `limit` frames, most recent first, and returns its
   * id: `table.beginTraceback()`, `table.pushFrame(file, line, func)` per frame (`func` from
   * `table.functionId(name)`, or -1 when unknown), then `table.endTraceback(totalNframe)`. A traceback has at least one frame: when nothing is
   * known, push `table.fileId('<unknown>')` at line 0. `entry` is the traced allocator's method
   * the user called: a JS stack source hides it and everything it called.
   */
  capture(table: TracebackTable, limit: number, entry: StackCutoff): number;
}
