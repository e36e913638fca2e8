import { ConfigurationError } from './errors.js';
import { MAX_MEMORY_BYTES } from './ptr.js';

/** WebAssembly's page size; every {@link Memory} grows in whole pages. */
export const PAGE_BYTES = 65536;

/** What a {@link Memory} can be built over. */
export type MemoryBacking = ArrayBuffer | SharedArrayBuffer | WebAssembly.Memory;

/** Options of {@link Memory}. */
export interface MemoryOptions {
  /** Bytes at start, rounded up to 64 KiB pages. Default 1 MiB. Ignored with `buffer`. */
  initialBytes?: number;
  /**
   * Growth stops at this many bytes (rounded down to 64 KiB pages); allocators then report
   * exhaustion. Default 4 GiB, the limit of 32-bit pointers.
   */
  maxBytes?: number;
  /** Back the memory with a shared `WebAssembly.Memory` (a `SharedArrayBuffer`), for workers. */
  shared?: boolean;
  /**
   * Use this existing backing instead of creating one: a `WebAssembly.Memory` (grows in place;
   * a WASM module can share it), a resizable `ArrayBuffer` or growable `SharedArrayBuffer`
   * (grow up to their own maximum), or a fixed one (never grows).
   */
  buffer?: MemoryBacking;
}

/** Called after the memory grew; the views on the memory are already the new ones. */
export type GrowListener = (memory: Memory, previousByteLength: number) => void;

/**
 * The buffer every heapkit package works in, with fixed-length typed views over all of it.
 *
 * Views are re-created after every grow (fixed-length views are much faster to index than
 * length-tracking ones on V8), so read them from the Memory — `memory.u32[p >>> 2]` — and
 * never keep one in a local across a call that can allocate.
 *
 * @example
 * ```ts
 * const memory = new Memory({ initialBytes: 65536, maxBytes: 1 << 24 });
 * memory.u32[4] = 42;
 * memory.onGrow((m, before) => console.log(`grew from ${before} to ${m.byteLength}`));
 * memory.growTo(1 << 20);
 * ```
 */
export class Memory {
  /** Bytes through the views, 8-bit unsigned. */
  u8!: Uint8Array;
  /** 32-bit signed view (index = byte offset >>> 2). */
  i32!: Int32Array;
  /** 32-bit unsigned view (index = byte offset >>> 2). */
  u32!: Uint32Array;
  /** 64-bit float view (index = byte offset >>> 3). */
  f64!: Float64Array;
  /** A DataView over the whole memory, little-endian by convention. */
  view!: DataView;
  /** The current backing buffer. */
  buffer!: ArrayBuffer | SharedArrayBuffer;
  /** The current size in bytes. */
  byteLength = 0;
  /** The size growth stops at. */
  readonly maxBytes: number;
  /** True when the memory is a `SharedArrayBuffer` that workers can share. */
  readonly shared: boolean;
  /** The `WebAssembly.Memory` behind this memory, when there is one (hand it to a WASM module). */
  readonly wasmMemory: WebAssembly.Memory | undefined;

  private readonly fixedBuffer: ArrayBuffer | SharedArrayBuffer | undefined;
  private readonly listeners: GrowListener[] = [];

  constructor(options: MemoryOptions = {}) {
    const { buffer } = options;
    const requestedMax = options.maxBytes ?? MAX_MEMORY_BYTES;
    if (!Number.isSafeInteger(requestedMax) || requestedMax <= 0) {
      throw new ConfigurationError(`Memory: maxBytes must be a positive integer, got ${requestedMax}`);
    }
    if (buffer === undefined) {
      const initial = options.initialBytes ?? 1 << 20;
      if (!Number.isSafeInteger(initial) || initial < 0) {
        throw new ConfigurationError(`Memory: initialBytes must be a non-negative integer, got ${initial}`);
      }
      const maxPages = Math.floor(Math.min(requestedMax, MAX_MEMORY_BYTES) / PAGE_BYTES);
      const initialPages = Math.ceil(initial / PAGE_BYTES);
      if (initialPages > maxPages) {
        throw new ConfigurationError(`Memory: initialBytes ${initial} exceeds maxBytes ${requestedMax}`);
      }
      const shared = options.shared ?? false;
      this.wasmMemory = new WebAssembly.Memory({ initial: initialPages, maximum: maxPages, shared });
      this.maxBytes = maxPages * PAGE_BYTES;
      this.shared = shared;
      this.fixedBuffer = undefined;
    } else if (buffer instanceof WebAssembly.Memory) {
      this.wasmMemory = buffer;
      this.maxBytes = Math.floor(Math.min(requestedMax, MAX_MEMORY_BYTES) / PAGE_BYTES) * PAGE_BYTES;
      this.shared = isShared(buffer.buffer);
      this.fixedBuffer = undefined;
    } else {
      this.wasmMemory = undefined;
      this.fixedBuffer = buffer;
      this.shared = isShared(buffer);
      const own = growable(buffer) ? maxByteLengthOf(buffer) : buffer.byteLength;
      this.maxBytes = Math.min(own, requestedMax, MAX_MEMORY_BYTES);
    }
    const initial = this.currentBuffer();
    if (initial.byteLength > MAX_MEMORY_BYTES) {
      throw new ConfigurationError(
        `Memory: a buffer of ${initial.byteLength} bytes is beyond 4 GiB, the reach of 32-bit pointers`,
      );
    }
    this.attach(initial);
  }

  /**
   * Grows the memory so that it holds at least `byteLength` bytes (rounded up to 64 KiB pages).
   * Returns `false`, changing nothing, when that is beyond `maxBytes` or the backing cannot grow.
   * Listeners are told after the views were re-created.
   */
  growTo(byteLength: number): boolean {
    if (byteLength <= this.byteLength) return true;
    if (byteLength > this.maxBytes) return false;
    const previous = this.byteLength;
    const target = Math.min(Math.ceil(byteLength / PAGE_BYTES) * PAGE_BYTES, this.maxBytes);
    // The backing may already be larger (grown by a WASM module or another worker): never shrink it.
    const current = this.currentBuffer().byteLength;
    if (current < target) {
      try {
        if (this.wasmMemory !== undefined) {
          this.wasmMemory.grow((target - current) / PAGE_BYTES);
        } else {
          const buffer = this.fixedBuffer;
          if (buffer === undefined || !growable(buffer)) return false;
          if (buffer instanceof ArrayBuffer) buffer.resize(target);
          else buffer.grow(target);
        }
      } catch {
        // The engine refused (address space, or the backing's own maximum): report exhaustion.
        return false;
      }
    }
    this.attach(this.currentBuffer());
    this.notify(previous);
    return true;
  }

  /**
   * Re-creates the views if somebody else grew the backing (a WASM module calling
   * `memory.grow`, another worker growing a shared buffer) and tells the listeners.
   * Returns true when the memory had grown.
   */
  refresh(): boolean {
    const buffer = this.currentBuffer();
    if (buffer === this.buffer && buffer.byteLength === this.byteLength) return false;
    const previous = this.byteLength;
    this.attach(buffer);
    if (this.byteLength > previous) this.notify(previous);
    return true;
  }

  /** Calls `listener` after every grow. Returns a function that removes it. */
  onGrow(listener: GrowListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private currentBuffer(): ArrayBuffer | SharedArrayBuffer {
    return this.wasmMemory !== undefined ? this.wasmMemory.buffer : this.fixedBuffer!;
  }

  private attach(buffer: ArrayBuffer | SharedArrayBuffer): void {
    const length = Math.min(buffer.byteLength, MAX_MEMORY_BYTES);
    this.buffer = buffer;
    this.byteLength = length;
    // Explicit lengths make these fixed-length views even over a resizable buffer.
    this.u8 = new Uint8Array(buffer, 0, length);
    this.i32 = new Int32Array(buffer, 0, Math.floor(length / 4));
    this.u32 = new Uint32Array(buffer, 0, Math.floor(length / 4));
    this.f64 = new Float64Array(buffer, 0, Math.floor(length / 8));
    this.view = new DataView(buffer, 0, length);
  }

  private notify(previous: number): void {
    for (const listener of this.listeners.slice()) listener(this, previous);
  }
}

function isShared(buffer: ArrayBuffer | SharedArrayBuffer): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}

function growable(buffer: ArrayBuffer | SharedArrayBuffer): boolean {
  return buffer instanceof ArrayBuffer ? buffer.resizable : buffer.growable;
}

function maxByteLengthOf(buffer: ArrayBuffer | SharedArrayBuffer): number {
  return buffer.maxByteLength;
}
