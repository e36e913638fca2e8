import { checkBoolean, checkInteger, checkOptions, describeValue } from './arguments.js';
import { ConfigurationError, InvalidPointerError, InvalidSizeError } from './errors.js';
import { isPtr, MAX_MEMORY_BYTES, type Ptr } from './ptr.js';
import {
  checkRegionHeader,
  extendRegion,
  listRegions,
  newOwner,
  type Region,
  type RegionHeader,
  readRegionHeader,
  readRoot,
  regionOf,
  releaseRegion,
  reserveRegion,
  reserveRootRegion,
  TABLE_OWNER,
  transferRegion,
} from './regions.js';

/** WebAssembly's page size; every {@link Memory} grows in whole pages. */
export const PAGE_BYTES = 65536;

/**
 * The default `initialBytes`: 16 MiB. Growing a `WebAssembly.Memory` that is not shared detaches
 * its old `ArrayBuffer`, and V8 (Node 20's 11.3) then drops, for the whole process and for
 * good, the assumption that no buffer is ever detached: from then on every typed-array access
 * in the program (ours, the user's, any library's) also checks for detachment. Measured with
 * cachegrind on the churn suite's steps: 223 instructions a step after one growth against 156
 * when the memory never grew (a bare typed-array free list: 168 against 127). So the default
 * starts large enough that a small heap never grows: the pages cost address space, not memory,
 * until they are written (the operating system maps them on first touch), and the allocators
 * only touch what they hand out.
 */
export const DEFAULT_INITIAL_BYTES = 16 << 20;

/** What a {@link Memory} can be built over. */
export type MemoryBacking = ArrayBuffer | SharedArrayBuffer | WebAssembly.Memory;

/** Options of {@link Memory}. */
export interface MemoryOptions {
  /**
   * Bytes at start, rounded up to 64 KiB pages. Default {@link DEFAULT_INITIAL_BYTES} (16 MiB),
   * or `maxBytes` when that is smaller. Not with `buffer`.
   */
  initialBytes?: number;
  /**
   * Growth stops at this many bytes (rounded down to 64 KiB pages); allocators then report
   * exhaustion. Default 4 GiB, the limit of 32-bit pointers; more is a ConfigurationError.
   */
  maxBytes?: number;
  /**
   * Back the memory with a shared `WebAssembly.Memory` (a `SharedArrayBuffer`), for workers.
   * With `buffer`, it must agree with the buffer (or be left out).
   */
  shared?: boolean;
  /**
   * Use this existing backing instead of creating one: a `WebAssembly.Memory` (grows in place;
   * a WASM module can share it), a resizable `ArrayBuffer` or growable `SharedArrayBuffer`
   * (grow up to their own maximum), or a fixed one (never grows).
   *
   * Its first 1024 bytes hold the region protocol's header (see `regions.ts`): a buffer that
   * already has one is attached to; one whose first bytes hold something else is a
   * ConfigurationError; a zeroed one gets a header when the first region is reserved.
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
  private readonly ownerNames = new Map<number, string>([[TABLE_OWNER, 'the region table']]);

  constructor(options: MemoryOptions = {}) {
    checkMemoryOptions(options);
    const { buffer } = options;
    const requestedMax = options.maxBytes ?? MAX_MEMORY_BYTES;
    if (buffer === undefined) {
      const maxPages = Math.floor(Math.min(requestedMax, MAX_MEMORY_BYTES) / PAGE_BYTES);
      const initial = options.initialBytes ?? Math.min(DEFAULT_INITIAL_BYTES, maxPages * PAGE_BYTES);
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
    checkRegionHeader(this.u32);
  }

  /**
   * Grows the memory so that it holds at least `byteLength` bytes (rounded up to 64 KiB pages).
   * Returns `false`, changing nothing, when that is beyond `maxBytes` or the backing cannot grow.
   * Listeners are told after the views were re-created.
   */
  growTo(byteLength: number): boolean {
    checkByteCount(byteLength, 'Memory.growTo');
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
    if (typeof listener !== 'function') {
      throw new ConfigurationError(
        `Memory.onGrow: pass a function (memory, previousByteLength) => void, got ${describeValue(listener)}`,
      );
    }
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  // The region protocol (see regions.ts): who owns which bytes.

  /**
   * Registers a party that will own regions (an allocator, a WASM module's heap) and returns its
   * owner id, 2 or more, unique across every thread attached to this memory. `name` is how this
   * thread's error messages call it.
   */
  registerOwner(name: string): number {
    if (typeof name !== 'string') {
      throw new ConfigurationError(
        `Memory.registerOwner: pass a name (a string), got ${describeValue(name)}`,
      );
    }
    const id = newOwner(this);
    this.ownerNames.set(id, name);
    return id;
  }

  /** The name `owner` was registered with in this thread, or a phrase saying it was not. */
  ownerName(owner: number): string {
    this.checkOwner('Memory.ownerName', owner);
    return this.ownerNames.get(owner) ?? 'registered in another thread or a WASM module';
  }

  /**
   * Reserves a region of at least `size` bytes (rounded up to 16) starting at a multiple of
   * `alignment` (a power of two from 16, default 16) for `owner`, as `sbrk` would: the lowest
   * released region that fits, else at the break, growing the memory. Returns its start, or 0
   * when the memory cannot grow that far. Atomic over a shared backing.
   */
  reserve(size: number, owner: number, alignment = 16): Ptr {
    checkByteCount(size, 'Memory.reserve');
    this.checkOwner('Memory.reserve', owner);
    checkAlignment('Memory.reserve', alignment);
    return reserveRegion(this, size, alignment, owner);
  }

  /**
   * Grows region `start` of `owner` in place to `size` bytes (rounded up to 16), when the bytes
   * after it are free: it is the highest region (the break moves up, growing the memory), or a
   * released region big enough follows it. Returns false, changing nothing, otherwise. This is
   * how an allocator keeps its space contiguous, as `sbrk` callers do.
   */
  extend(start: Ptr, owner: number, size: number): boolean {
    if (!isPtr(start)) {
      throw InvalidPointerError.notAPointer(start, 'extend');
    }
    this.checkOwner('Memory.extend', owner);
    checkByteCount(size, 'Memory.extend');
    return extendRegion(this, start, owner, start + Math.ceil(size / 16) * 16);
  }

  /**
   * Gives region `start` of `owner` back, for any party to reserve again. Throws
   * InvalidPointerError, changing nothing, when no region of `owner` starts there.
   */
  release(start: Ptr, owner: number): void {
    if (!isPtr(start)) {
      throw InvalidPointerError.notAPointer(start, 'release');
    }
    this.checkOwner('Memory.release', owner);
    releaseRegion(this, start, owner);
  }

  /**
   * The region that holds `ptr` (`owner` 0 for a released one), or undefined when `ptr` is in
   * the protocol's header or beyond the break. A binary search of the region table.
   */
  regionOf(ptr: Ptr): Region | undefined {
    if (!isPtr(ptr)) {
      throw InvalidPointerError.notAPointer(ptr, 'regionOf');
    }
    return regionOf(this, ptr);
  }

  /** Every region, reserved and released, lowest first (a copy of the table). */
  regions(): Region[] {
    return listRegions(this);
  }

  /**
   * Reserves the memory's root region for `owner`: at most one per memory, found by every party
   * through the region header (see the README), so a worker needs no address to be posted to
   * it. The first caller creates it, zero-filled, `size` bytes at a multiple of `alignment`
   * (default 16); later callers, in any thread, get the same start back and `created: false`.
   * `start` is 0 when the memory cannot hold it. Atomic over a shared backing.
   */
  reserveRoot(size: number, owner: number, alignment = 16): { start: Ptr; created: boolean } {
    checkByteCount(size, 'Memory.reserveRoot');
    this.checkOwner('Memory.reserveRoot', owner);
    checkAlignment('Memory.reserveRoot', alignment);
    return reserveRootRegion(this, size, alignment, owner);
  }

  /** The root region's start (see {@link Memory.reserveRoot}), or 0 when none was reserved yet. */
  root(): Ptr {
    return readRoot(this);
  }

  /**
   * Hands region `start` from owner `from` to owner `to`, as a worker adopting the regions of
   * one that left does. Throws InvalidPointerError, changing nothing, when no region of `from`
   * starts there. Atomic over a shared backing.
   */
  transfer(start: Ptr, from: number, to: number): void {
    if (!isPtr(start)) {
      throw InvalidPointerError.notAPointer(start, 'transfer');
    }
    this.checkOwner('Memory.transfer', from);
    this.checkOwner('Memory.transfer', to);
    transferRegion(this, start, from, to);
  }

  /** The protocol header's figures: version, break, reserved and released bytes, regions. */
  regionHeader(): RegionHeader {
    return readRegionHeader(this);
  }

  private checkOwner(where: string, owner: unknown): void {
    if (typeof owner !== 'number' || !Number.isInteger(owner) || owner < 1 || owner > 0xffff_ffff) {
      throw new ConfigurationError(
        `${where}: owner must be an id from Memory.registerOwner(name), got ${describeValue(owner)}`,
      );
    }
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

/** An alignment must be a power of two from 16 to 2^30: ConfigurationError otherwise. */
function checkAlignment(where: string, alignment: unknown): void {
  if (
    typeof alignment !== 'number' ||
    !Number.isInteger(alignment) ||
    alignment < 16 ||
    alignment > 2 ** 30 ||
    (alignment & (alignment - 1)) !== 0
  ) {
    throw new ConfigurationError(
      `${where}: alignment must be a power of two from 16 to 2^30, got ${describeValue(alignment)}`,
    );
  }
}

/** A byte count must be a non-negative safe integer: InvalidSizeError otherwise. */
function checkByteCount(value: unknown, operation: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidSizeError(value, operation);
  }
}

const MEMORY_OPTIONS = ['initialBytes', 'maxBytes', 'shared', 'buffer'] as const;

function checkMemoryOptions(options: unknown): void {
  const where = 'new Memory(options)';
  if (options instanceof Memory) {
    throw new ConfigurationError(
      `${where}: got a Memory; use that Memory itself, or pass { buffer: memory.wasmMemory ?? memory.buffer } to share its bytes`,
    );
  }
  checkOptions(where, options, MEMORY_OPTIONS);
  const o = options as MemoryOptions;
  checkInteger(where, 'maxBytes', o.maxBytes, 1, MAX_MEMORY_BYTES);
  checkInteger(where, 'initialBytes', o.initialBytes, 0, MAX_MEMORY_BYTES);
  checkBoolean(where, 'shared', o.shared);
  const { buffer } = o;
  if (buffer === undefined) return;
  const isBacking =
    buffer instanceof WebAssembly.Memory ||
    buffer instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer);
  if (!isBacking) {
    throw new ConfigurationError(
      `${where}: buffer must be an ArrayBuffer, a SharedArrayBuffer or a WebAssembly.Memory, got ${describeValue(buffer)}`,
    );
  }
  if (o.initialBytes !== undefined) {
    throw new ConfigurationError(`${where}: initialBytes does not apply to an existing buffer; leave it out`);
  }
  const bufferShared = isShared(buffer instanceof WebAssembly.Memory ? buffer.buffer : buffer);
  if (o.shared !== undefined && o.shared !== bufferShared) {
    throw new ConfigurationError(
      `${where}: shared: ${o.shared} disagrees with the buffer, which is ${bufferShared ? '' : 'not '}shared; leave shared out`,
    );
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
