/**
 * {@link Frame} and {@link Traceback}: where a block was allocated, as tracemalloc names it. Both
 * are immutable values compared by content.
 */

/** `<unknown>`: the file of a frame that could not be determined (CPython's name for it). */
export const UNKNOWN_FILENAME = '<unknown>';

/**
 * One frame of a traceback: a file, a line and, when the frame source knows it, the function.
 * Mirrors `tracemalloc.Frame` (which has no function name: CPython's tracemalloc keeps
 * `filename` and `lineno` only).
 */
export class Frame {
  /** The file name (a path, a URL, or a runtime's own name for a guest file). */
  readonly filename: string;
  /** The line number; 0 when unknown. */
  readonly lineno: number;
  /** The function's name, or undefined when the frame source does not know it. Not in CPython. */
  readonly functionName: string | undefined;

  /** An empty `functionName` is the same as none. */
  constructor(filename: string, lineno: number, functionName?: string) {
    this.filename = filename;
    this.lineno = lineno;
    this.functionName = functionName === '' ? undefined : functionName;
  }

  /** True when both frames name the same file, line and function (Python's `==`, plus the function). */
  equals(other: Frame): boolean {
    return (
      this.filename === other.filename &&
      this.lineno === other.lineno &&
      this.functionName === other.functionName
    );
  }

  /** `filename:lineno`, as `str(frame)` (see {@link frameLabel} for a label with the function). */
  toString(): string {
    return `${this.filename}:${this.lineno}`;
  }
}

/**
 * A frame as reports show it: `function file:line`, or `file:line` when the function is not
 * known; `short` keeps only the last part of the file's path; `lineno: false` leaves the line
 * out (for a place that is a whole function or file).
 */
export function frameLabel(frame: Frame, options: { short?: boolean; lineno?: boolean } = {}): string {
  const file = options.short === true ? shortFileName(frame.filename) : frame.filename;
  const place = options.lineno === false ? file : `${file}:${frame.lineno}`;
  return frame.functionName === undefined ? place : `${frame.functionName} ${place}`;
}

/** The last part of a path or URL (`/a/b/c.js` → `c.js`); a name without `/` or `\\` as it is. */
export function shortFileName(filename: string): string {
  const cut = Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\'));
  return cut < 0 || cut === filename.length - 1 ? filename : filename.slice(cut + 1);
}

/** Orders frames as Python orders `(filename, lineno)` tuples, then by function name. */
export function compareFrames(a: Frame, b: Frame): number {
  if (a.filename !== b.filename) return a.filename < b.filename ? -1 : 1;
  if (a.lineno !== b.lineno) return a.lineno - b.lineno;
  const fa = a.functionName ?? '';
  const fb = b.functionName ?? '';
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/**
 * A sequence of {@link Frame}s from the **oldest** call to the **most recent** one (the place of
 * the allocation), as `tracemalloc.Traceback` presents them. `totalNframe` is how many frames
 * the stack had before it was cut to the traceback limit (`total_nframe`; `undefined` for
 * tracebacks built by grouping).
 */
export class Traceback {
  /** The frames, oldest first; the last one is where the allocation happened. */
  readonly frames: readonly Frame[];
  /** Frames the stack had before truncation to the traceback limit (`total_nframe`). */
  readonly totalNframe: number | undefined;
  private cachedKey: string | undefined;

  /** `frames` oldest first (the order of the sequence, not of CPython's raw tuples). */
  constructor(frames: readonly Frame[], totalNframe?: number) {
    this.frames = Object.freeze([...frames]);
    this.totalNframe = totalNframe;
  }

  /** The number of frames. */
  get length(): number {
    return this.frames.length;
  }

  /** The frame at `index` (negative counts from the most recent end), or undefined. */
  at(index: number): Frame | undefined {
    return this.frames.at(index);
  }

  /** The most recent frame: where the block was allocated. */
  get mostRecent(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  /** A string identifying the frames (not `totalNframe`): equal tracebacks have equal keys. */
  get key(): string {
    if (this.cachedKey === undefined) {
      this.cachedKey = this.frames
        .map((f) => `${f.lineno}\u0000${f.filename}\u0000${f.functionName ?? ''}`)
        .join('\u0001');
    }
    return this.cachedKey;
  }

  /** True when both have the same frames (Python's `==`, which ignores `total_nframe`). */
  equals(other: Traceback): boolean {
    return this.key === other.key;
  }

  /**
   * The traceback as lines, `  File "a.js", line 2` (then `, in name` when the function is
   * known, as Python's `traceback` module prints it), oldest first; `limit > 0` keeps the `limit`
   * most recent frames, `limit < 0` the `-limit` oldest; `mostRecentFirst` reverses the order.
   * Mirrors `Traceback.format(limit=None, most_recent_first=False)`. CPython also prints each
   * frame's source line; pass `getLine` to do the same (a line is printed when it returns a
   * non-empty string).
   */
  format(
    limit?: number | null,
    mostRecentFirst = false,
    getLine?: (filename: string, lineno: number) => string | undefined,
  ): string[] {
    let frames: readonly Frame[] = this.frames;
    if (limit != null) frames = limit > 0 ? frames.slice(-limit) : frames.slice(0, limit);
    if (mostRecentFirst) frames = [...frames].reverse();
    const lines: string[] = [];
    for (const frame of frames) {
      const where = `  File "${frame.filename}", line ${frame.lineno}`;
      lines.push(frame.functionName === undefined ? where : `${where}, in ${frame.functionName}`);
      const source = getLine?.(frame.filename, frame.lineno)?.trim();
      if (source) lines.push(`    ${source}`);
    }
    return lines;
  }

  /** The oldest frame, as `str(traceback)` (which prints `self[0]`). */
  toString(): string {
    return this.frames.length === 0 ? '' : this.frames[0]!.toString();
  }
}

/** Orders tracebacks as Python orders their frame tuples (oldest frame first). */
export function compareTracebacks(a: Traceback, b: Traceback): number {
  const n = Math.min(a.frames.length, b.frames.length);
  for (let i = 0; i < n; i++) {
    const c = compareFrames(a.frames[i]!, b.frames[i]!);
    if (c !== 0) return c;
  }
  return a.frames.length - b.frames.length;
}
