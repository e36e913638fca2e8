/**
 * {@link Frame} and {@link Traceback}: where a block was allocated, as tracemalloc names it. Both
 * are immutable values compared by content.
 */

/** `<unknown>`: the file of a frame that could not be determined (CPython's name for it). */
export const UNKNOWN_FILENAME = '<unknown>';

/** One frame of a traceback: a file and a line. Mirrors `tracemalloc.Frame`. */
export class Frame {
  /** The file name (a path, a URL, or a runtime's own name for a guest file). */
  readonly filename: string;
  /** The line number; 0 when unknown. */
  readonly lineno: number;

  constructor(filename: string, lineno: number) {
    this.filename = filename;
    this.lineno = lineno;
  }

  /** True when both frames name the same file and line (Python's `==`). */
  equals(other: Frame): boolean {
    return this.filename === other.filename && this.lineno === other.lineno;
  }

  /** `filename:lineno`, as `str(frame)`. */
  toString(): string {
    return `${this.filename}:${this.lineno}`;
  }
}

/** Orders frames as Python orders `(filename, lineno)` tuples. */
export function compareFrames(a: Frame, b: Frame): number {
  if (a.filename !== b.filename) return a.filename < b.filename ? -1 : 1;
  return a.lineno - b.lineno;
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
      this.cachedKey = this.frames.map((f) => `${f.lineno}\u0000${f.filename}`).join('\u0001');
    }
    return this.cachedKey;
  }

  /** True when both have the same frames (Python's `==`, which ignores `total_nframe`). */
  equals(other: Traceback): boolean {
    return this.key === other.key;
  }

  /**
   * The traceback as lines, `  File "a.js", line 2`, oldest first; `limit > 0` keeps the `limit`
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
      lines.push(`  File "${frame.filename}", line ${frame.lineno}`);
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
