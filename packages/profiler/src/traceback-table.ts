/**
 * Interning of file and function names, frames and tracebacks, so that a trace stores one
 * integer (its traceback id) and equal tracebacks are stored once, as CPython's `tracemalloc.c`
 * does with its `tracebacks` hash table.
 *
 * ```
 *   name id     ──► names[id]                       (a file or function name; Map<string, id>)
 *   frame id    ──► frameFile[id], frameLine[id], frameFunction[id] (-1: function unknown)
 *                                                   (open-addressed (file, line, function) → id)
 *   traceback id──► tbStart[id], tbLength[id], tbTotal[id]
 *                   pool[tbStart .. tbStart + tbLength) = frame ids, most recent first
 *                   (open-addressed hash of (frames, total) → id)
 * ```
 *
 * A frame source builds a traceback with `beginTraceback()`, `pushFrame(file, line, function)` per frame
 * (most recent first) and `endTraceback(totalNframe)`, which returns the id of an equal
 * traceback if there is one. None of these allocates once the tables are large enough (they
 * double when half full); ids are dense, from 0. `reset()` forgets everything and bumps
 * `generation`, so a source that caches ids knows they are stale.
 */

const EMPTY = -1;
/** The next {@link TracebackTable.generation}: unique across all tables. */
let nextGeneration = 0;
/** Total frame count stored for "more frames than the limit, exact number unknown". */
export const UNKNOWN_TOTAL = 0xffffffff;

/**
 * The interned files, frames and tracebacks of a profiler (CPython's `tracemalloc_filenames` and
 * `tracemalloc_tracebacks` tables); frame sources write tracebacks into it (see the file comment).
 */
export class TracebackTable {
  /**
   * Changed by every {@link reset}: ids from an older generation are meaningless. Unique across
   * tables too, so a frame source shared by two profilers never mixes up their ids.
   */
  generation = nextGeneration++;

  private names: string[] = [];
  private nameIds = new Map<string, number>();

  private frameFile = new Int32Array(256);
  private frameLine = new Int32Array(256);
  private frameFunction = new Int32Array(256);
  private frameCount = 0;
  private frameSlots = new Int32Array(512).fill(EMPTY);

  private tbStart = new Uint32Array(256);
  private tbLength = new Uint32Array(256);
  private tbTotal = new Uint32Array(256);
  private tbHash = new Int32Array(256);
  private tbCount = 0;
  private tbSlots = new Int32Array(512).fill(EMPTY);
  private pool = new Uint32Array(1024);
  private poolLength = 0;

  /** The traceback being built: frame ids, most recent first. */
  private scratch = new Uint32Array(64);
  private scratchLength = 0;

  /** The id of a file name, interned on first use (files and functions share one name table). */
  fileId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
  }

  /** The id of a function name, interned on first use (the same ids as {@link fileId}). */
  functionId(name: string): number {
    return this.fileId(name);
  }

  /** The file name of a file id. */
  fileName(id: number): string {
    return this.names[id]!;
  }

  /** The function name of a function id. */
  functionName(id: number): string {
    return this.names[id]!;
  }

  /** Starts building a traceback. */
  beginTraceback(): void {
    this.scratchLength = 0;
  }

  /**
   * Appends a frame (the next older one) to the traceback being built: a file id, a line and a
   * function id ({@link functionId}; -1, the default, when the function is not known).
   */
  pushFrame(file: number, line: number, func = -1): void {
    if (this.scratchLength === this.scratch.length)
      this.scratch = grown(this.scratch, this.scratch.length * 2);
    this.scratch[this.scratchLength++] = this.frameId(file, line, func);
  }

  /**
   * Ends the traceback being built and returns its id. `totalNframe` is the depth of the stack
   * before truncation, or {@link UNKNOWN_TOTAL}.
   */
  endTraceback(totalNframe: number): number {
    const n = this.scratchLength;
    const scratch = this.scratch;
    let h = Math.imul(n, 0x9e3779b1) ^ totalNframe;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ scratch[i]!, 0x85ebca77) ^ (h >>> 15);
    const mask = this.tbSlots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = this.tbSlots[slot]!;
      if (id === EMPTY) {
        return this.addTraceback(slot, h, n, totalNframe);
      }
      if (this.tbHash[id] === h && this.tbLength[id] === n && this.tbTotal[id] === totalNframe) {
        const start = this.tbStart[id]!;
        let i = 0;
        while (i < n && this.pool[start + i] === scratch[i]) i++;
        if (i === n) return id;
      }
    }
  }

  /** Number of frames of a traceback. */
  tracebackLength(id: number): number {
    return this.tbLength[id]!;
  }

  /** The stack depth recorded with a traceback, or {@link UNKNOWN_TOTAL}. */
  tracebackTotal(id: number): number {
    return this.tbTotal[id]!;
  }

  /** Frame id number `index` (0 = most recent) of a traceback. */
  tracebackFrame(id: number, index: number): number {
    return this.pool[this.tbStart[id]! + index]!;
  }

  /** The file id of a frame. */
  frameFileId(frame: number): number {
    return this.frameFile[frame]!;
  }

  /** The line of a frame. */
  frameLineNo(frame: number): number {
    return this.frameLine[frame]!;
  }

  /** The function id of a frame, or -1 when its function is not known. */
  frameFunctionId(frame: number): number {
    return this.frameFunction[frame]!;
  }

  /** Bytes held by the tables (typed arrays exactly; strings estimated at 2 B per character). */
  byteSize(): number {
    let strings = 0;
    for (const f of this.names) strings += 2 * f.length + 32;
    return (
      strings +
      this.frameFile.byteLength +
      this.frameLine.byteLength +
      this.frameFunction.byteLength +
      this.frameSlots.byteLength +
      this.tbStart.byteLength * 4 +
      this.tbSlots.byteLength +
      this.pool.byteLength +
      this.scratch.byteLength
    );
  }

  /** Forgets every file, frame and traceback (CPython clears its tables in `clear_traces`). */
  reset(): void {
    this.generation = nextGeneration++;
    this.names = [];
    this.nameIds = new Map();
    this.frameCount = 0;
    this.frameSlots.fill(EMPTY);
    this.tbCount = 0;
    this.tbSlots.fill(EMPTY);
    this.poolLength = 0;
  }

  private frameId(file: number, line: number, func: number): number {
    const mask = this.frameSlots.length - 1;
    const h = frameHash(file, line, func);
    for (let slot = (h ^ (h >>> 16)) & mask; ; slot = (slot + 1) & mask) {
      const id = this.frameSlots[slot]!;
      if (id === EMPTY) return this.addFrame(slot, file, line, func);
      if (this.frameFile[id] === file && this.frameLine[id] === line && this.frameFunction[id] === func)
        return id;
    }
  }

  private addFrame(slot: number, file: number, line: number, func: number): number {
    const id = this.frameCount++;
    if (id === this.frameFile.length) {
      this.frameFile = grown(this.frameFile, id * 2);
      this.frameLine = grown(this.frameLine, id * 2);
      this.frameFunction = grown(this.frameFunction, id * 2);
    }
    this.frameFile[id] = file;
    this.frameLine[id] = line;
    this.frameFunction[id] = func;
    this.frameSlots[slot] = id;
    if (this.frameCount * 2 > this.frameSlots.length) this.rehashFrames();
    return id;
  }

  private rehashFrames(): void {
    const slots = new Int32Array(this.frameSlots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let id = 0; id < this.frameCount; id++) {
      const h = frameHash(this.frameFile[id]!, this.frameLine[id]!, this.frameFunction[id]!);
      let slot = (h ^ (h >>> 16)) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
    this.frameSlots = slots;
  }

  private addTraceback(slot: number, hash: number, n: number, total: number): number {
    const id = this.tbCount++;
    if (id === this.tbStart.length) {
      this.tbStart = grown(this.tbStart, id * 2);
      this.tbLength = grown(this.tbLength, id * 2);
      this.tbTotal = grown(this.tbTotal, id * 2);
      this.tbHash = grown(this.tbHash, id * 2);
    }
    if (this.poolLength + n > this.pool.length) {
      this.pool = grown(this.pool, Math.max(this.pool.length * 2, this.poolLength + n));
    }
    this.pool.set(this.scratch.subarray(0, n), this.poolLength);
    this.tbStart[id] = this.poolLength;
    this.tbLength[id] = n;
    this.tbTotal[id] = total;
    this.tbHash[id] = hash;
    this.poolLength += n;
    this.tbSlots[slot] = id;
    if (this.tbCount * 2 > this.tbSlots.length) this.rehashTracebacks();
    return id;
  }

  private rehashTracebacks(): void {
    const slots = new Int32Array(this.tbSlots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let id = 0; id < this.tbCount; id++) {
      let slot = this.tbHash[id]! & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
    this.tbSlots = slots;
  }
}

function frameHash(file: number, line: number, func: number): number {
  return Math.imul(file, 0x9e3779b1) ^ Math.imul(line, 0x85ebca77) ^ Math.imul(func, 0xc2b2ae3d);
}

function grown<T extends Int32Array | Uint32Array>(array: T, length: number): T {
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array);
  return next;
}
