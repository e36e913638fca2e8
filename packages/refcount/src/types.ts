/**
 * Types: what a caller registers once (a {@link TypeSpec}), what it gets back (an
 * {@link ObjectType}), and the {@link TypeRegistry} that turns every type into rows of flat
 * tables indexed by type id, which the hot paths read (no per-object lookups of JS objects).
 * Mirrors the parts of CPython's `PyTypeObject` that memory management uses: `tp_basicsize`,
 * `tp_itemsize`, `tp_traverse`, `tp_clear`, `tp_finalize`, `tp_del` and `Py_TPFLAGS_HAVE_GC`.
 */
import type { Ptr } from '@heapkit/memory';
import { TypeSpecError } from './errors.js';
import { GC_HEAD_BYTES, HEADER_BYTES, MAX_TYPE_ID, VAR_HEADER_BYTES } from './header.js';

/** Called by `traverse` for each object reference it finds (CPython's `visitproc`). */
export type Visit = (child: Ptr) => void;

/** What a type is made of, given once to `ObjectSpace.registerType`. The callbacks get the
 * object pointer only: close over the space to reach it. */
export interface TypeSpec {
  /** The type's name, used in errors and introspection (`type(obj).__name__`). */
  readonly name: string;
  /** Bytes of the fixed payload after the header (`tp_basicsize` minus the header). Default 0. */
  readonly size?: number;
  /**
   * Bytes of each item of a variable-length object (`tp_itemsize`, like `PyVarObject`): `alloc`
   * then takes the number of items, kept in the header. Absent for fixed-size types.
   */
  readonly itemSize?: number;
  /**
   * Payload byte offsets of the fixed part's reference slots (4-aligned, each a 32-bit `Ptr`).
   * The object owns a reference to what a slot holds; `getRef`/`setRef` work on these slots
   * only, and deallocation drops them.
   */
  readonly refs?: readonly number[];
  /** Byte offsets within each item that hold references (for var types; e.g. `[0]` for a tuple). */
  readonly itemRefs?: readonly number[];
  /**
   * Payload byte offsets of the fixed part's value slots (4-aligned): each holds one 32-bit word
   * that is either an object pointer (owned, traversed and cleared like a reference) or a
   * tagged immediate, a word whose low bit is 1 (never a pointer, not counted). Read and write
   * them with `getValue`/`setValue`. Must not overlap `refs`.
   */
  readonly values?: readonly number[];
  /** Byte offsets within each item that are value slots (for var types; must not overlap `itemRefs`). */
  readonly itemValues?: readonly number[];
  /**
   * For irregular layouts (`tp_traverse`): calls `visit` with every object the object owns a
   * reference to *beyond* its declared slots (references it keeps in raw fields and manages
   * with `incref`/`decref` itself). Deallocation drops each visited reference; the collector
   * uses it to find cycles. Must not allocate, free or change any refcount.
   */
  readonly traverse?: (obj: Ptr, visit: Visit) => void;
  /**
   * PEP 442 finalizer (`tp_finalize`, Python's `__del__`): called at most once per object,
   * before its weakrefs are cleared and its references dropped. It may resurrect the object by
   * storing a new reference to it somewhere; the object then stays alive. An exception is
   * reported through the space's `onUnraisable` hook and deallocation goes on.
   */
  readonly finalize?: (obj: Ptr) => void;
  /**
   * Breaks the object's references (`tp_clear`), called by the cycle collector on garbage.
   * Default: every declared reference slot is set to 0 and its old value dropped.
   */
  readonly clear?: (obj: Ptr) => void;
  /**
   * The type has a legacy finalizer (`tp_del`): the cycle collector never frees a cycle that
   * holds one of its objects and puts the cycle in `gc.garbage` instead. Default false.
   */
  readonly legacyFinalizer?: boolean;
  /**
   * Objects carry a GC pre-header before the object pointer, for the cycle collector
   * (`Py_TPFLAGS_HAVE_GC`). Default false.
   */
  readonly gc?: boolean;
}

/** A registered type, as `ObjectSpace.registerType` returns it. Pass `id` to `alloc`. */
export interface ObjectType {
  /** The type id stored in each object's header (1 .. 2^24-1). */
  readonly id: number;
  readonly name: string;
  /** Fixed payload bytes. */
  readonly size: number;
  /** Bytes per item; 0 for a fixed-size type. */
  readonly itemSize: number;
  /** True for variable-length types (an `itemSize` was given). */
  readonly isVar: boolean;
  /** Payload offsets of the fixed part's reference slots, ascending. */
  readonly refs: readonly number[];
  /** Offsets within an item of its reference slots, ascending. */
  readonly itemRefs: readonly number[];
  /** Payload offsets of the fixed part's value slots, ascending. */
  readonly values: readonly number[];
  /** Offsets within an item of its value slots, ascending. */
  readonly itemValues: readonly number[];
  /** True when objects carry the GC pre-header. */
  readonly gc: boolean;
  /** True for a legacy finalizer (`tp_del`). */
  readonly legacyFinalizer: boolean;
  /** Bytes from the object pointer to the payload: the header (and var header). */
  readonly payloadOffset: number;
  /** Bytes before the object pointer: the GC pre-header's size, or 0. */
  readonly preHeaderBytes: number;
  readonly traverse: TypeSpec['traverse'];
  readonly finalize: TypeSpec['finalize'];
  readonly clear: TypeSpec['clear'];
}

/** Flags in {@link TypeRegistry.flags}. */
export const T_VAR = 1;
export const T_GC = 2;
export const T_FINALIZE = 4;
export const T_TRAVERSE = 8;
/** Items hold reference or value slots. */
export const T_ITEM_REFS = 16;
export const T_WEAKREF = 32;
/** Flags that send deallocation off the fast path (a GC pre-header does not: see `drain`). */
export const T_SLOW_DEALLOC = T_FINALIZE | T_TRAVERSE | T_ITEM_REFS | T_WEAKREF;

/**
 * The columns of {@link TypeRegistry.rows}: what deallocation reads of a type, side by side in
 * one row of `ROW_STRIDE` words (one typed array for the loop instead of four).
 */
export const ROW_FLAGS = 0;
export const ROW_REF_START = 1;
export const ROW_REF_END = 2;
export const ROW_BLOCK = 3;
export const ROW_PRE = 4;
/** Words per row (a power of two: the row of type `t` starts at `t << ROW_SHIFT`). */
export const ROW_SHIFT = 3;
const ROW_STRIDE = 1 << ROW_SHIFT;

/** The largest payload, item size or number of items accepted. */
export const MAX_OBJECT_BYTES = 0x7fff_fff0;

/**
 * Every registered type, as rows of typed arrays indexed by type id (row 0 is unused: 0 is
 * never a type id), plus the {@link ObjectType} records for everything else.
 */
export class TypeRegistry {
  /** Number of rows: the next type id. */
  count = 1;
  /** `T_*` flags. */
  flags = new Uint8Array(16);
  /** Block bytes of a fixed object, or of a var object with no items: pre-header + header + size. */
  baseBytes = new Int32Array(16);
  /** Fixed payload bytes. */
  fixedBytes = new Int32Array(16);
  /** Block bytes of a fixed-size object, rounded up to 8; 0 for variable-length types. */
  blockBytes = new Int32Array(16);
  /** 0 or `GC_HEAD_BYTES`. */
  preBytes = new Int32Array(16);
  /** Bytes per item (0 for fixed-size types). */
  itemBytes = new Int32Array(16);
  /**
   * Row `t`'s fixed slots, reference and value slots together, are
   * `refWords[refStart[t] .. refStart[t+1])`: word offsets from obj. Whoever walks them skips 0
   * and any word with its low bit set (a value slot's immediate).
   */
  refStart = new Int32Array(17);
  refWords = new Int32Array(16);
  /**
   * Fast-path slot check for fixed-size types: bit `w` is set when payload word `w` (w < 32) is
   * a reference slot. 0 for variable-length types (their slots take the general check).
   */
  refBits = new Int32Array(16);
  /** As {@link refBits}, for the value slots. */
  valueBits = new Int32Array(16);
  /**
   * The same facts again, the ones deallocation reads, as one row per type (`ROW_*` columns):
   * flags, the range of `refWords`, block bytes (0 for a var type), pre-header bytes.
   */
  rows = new Int32Array(16 * ROW_STRIDE);
  readonly types: ObjectType[] = [];
  /** Per type: for every 32-bit word of the fixed payload, `REF_SLOT`, `VALUE_SLOT` or 0. */
  readonly fixedRefMask: Uint8Array[] = [new Uint8Array(0)];
  /** Per type: for every 32-bit word of an item, `REF_SLOT`, `VALUE_SLOT` or 0. */
  readonly itemRefMask: Uint8Array[] = [new Uint8Array(0)];

  /** Validates `spec` and adds it as the next type id. */
  register(spec: TypeSpec, internalFlags = 0): ObjectType {
    if (spec === null || typeof spec !== 'object')
      throw new TypeSpecError(spec, 'the spec must be an object');
    const { name } = spec;
    if (typeof name !== 'string' || name === '')
      throw new TypeSpecError(name, 'name must be a non-empty string');
    const size = spec.size ?? 0;
    checkBytes(name, 'size', size, 0);
    const isVar = spec.itemSize !== undefined;
    const itemSize = spec.itemSize ?? 0;
    if (isVar) checkBytes(name, 'itemSize', itemSize, 1);
    const refs = sortedOffsets(name, 'refs', spec.refs ?? [], size);
    if (spec.itemRefs !== undefined && !isVar) {
      throw new TypeSpecError(name, 'itemRefs needs an itemSize (a variable-length type)');
    }
    const itemRefs = sortedOffsets(name, 'itemRefs', spec.itemRefs ?? [], itemSize);
    const values = sortedOffsets(name, 'values', spec.values ?? [], size);
    if (spec.itemValues !== undefined && !isVar) {
      throw new TypeSpecError(name, 'itemValues needs an itemSize (a variable-length type)');
    }
    const itemValues = sortedOffsets(name, 'itemValues', spec.itemValues ?? [], itemSize);
    disjoint(name, 'refs', refs, 'values', values);
    disjoint(name, 'itemRefs', itemRefs, 'itemValues', itemValues);
    const itemSlots = itemRefs.length + itemValues.length;
    if (itemSlots > 0 && (size % 4 !== 0 || itemSize % 4 !== 0)) {
      throw new TypeSpecError(
        name,
        'size and itemSize must be multiples of 4 when items hold references or values',
      );
    }
    for (const key of ['traverse', 'finalize', 'clear'] as const) {
      if (spec[key] !== undefined && typeof spec[key] !== 'function') {
        throw new TypeSpecError(name, `${key} must be a function`);
      }
    }
    for (const key of ['gc', 'legacyFinalizer'] as const) {
      if (spec[key] !== undefined && typeof spec[key] !== 'boolean') {
        throw new TypeSpecError(name, `${key} must be a boolean`);
      }
    }
    const id = this.count;
    if (id > MAX_TYPE_ID) throw new TypeSpecError(name, `no more type ids (at most ${MAX_TYPE_ID} types)`);

    const gc = spec.gc ?? false;
    const preHeaderBytes = gc ? GC_HEAD_BYTES : 0;
    const payloadOffset = HEADER_BYTES + (isVar ? VAR_HEADER_BYTES : 0);
    let flags = internalFlags;
    if (isVar) flags |= T_VAR;
    if (gc) flags |= T_GC;
    if (spec.finalize !== undefined) flags |= T_FINALIZE;
    if (spec.traverse !== undefined) flags |= T_TRAVERSE;
    if (itemSlots > 0) flags |= T_ITEM_REFS;

    const type: ObjectType = Object.freeze({
      id,
      name,
      size,
      itemSize,
      isVar,
      refs: Object.freeze(refs),
      itemRefs: Object.freeze(itemRefs),
      values: Object.freeze(values),
      itemValues: Object.freeze(itemValues),
      gc,
      legacyFinalizer: spec.legacyFinalizer ?? false,
      payloadOffset,
      preHeaderBytes,
      traverse: spec.traverse,
      finalize: spec.finalize,
      clear: spec.clear,
    });

    this.ensureRows(id + 1);
    this.flags[id] = flags;
    this.baseBytes[id] = preHeaderBytes + payloadOffset + size;
    this.fixedBytes[id] = size;
    this.blockBytes[id] = isVar ? 0 : (preHeaderBytes + payloadOffset + size + 7) & ~7;
    this.refBits[id] = isVar ? 0 : firstWordBits(refs);
    this.valueBits[id] = isVar ? 0 : firstWordBits(values);
    this.preBytes[id] = preHeaderBytes;
    this.itemBytes[id] = itemSize;
    const slots = [...refs, ...values].sort((a, b) => a - b);
    const start = this.refStart[id]!;
    this.ensureRefWords(start + slots.length);
    for (let k = 0; k < slots.length; k++) this.refWords[start + k] = (payloadOffset + slots[k]!) >>> 2;
    this.refStart[id + 1] = start + slots.length;
    const row = id << ROW_SHIFT;
    this.rows[row + ROW_FLAGS] = flags;
    this.rows[row + ROW_REF_START] = start;
    this.rows[row + ROW_REF_END] = start + slots.length;
    this.rows[row + ROW_BLOCK] = this.blockBytes[id]!;
    this.rows[row + ROW_PRE] = preHeaderBytes;
    this.fixedRefMask.push(wordMask(refs, values, size));
    this.itemRefMask.push(wordMask(itemRefs, itemValues, itemSize));
    this.types.push(type);
    this.count = id + 1;
    return type;
  }

  /** The type with this id; undefined when there is none. */
  get(id: number): ObjectType | undefined {
    return id >= 1 && id < this.count ? this.types[id - 1] : undefined;
  }

  private ensureRows(rows: number): void {
    if (rows <= this.flags.length) return;
    const n = Math.max(rows, this.flags.length * 2);
    this.flags = grow(this.flags, new Uint8Array(n));
    this.baseBytes = grow(this.baseBytes, new Int32Array(n));
    this.fixedBytes = grow(this.fixedBytes, new Int32Array(n));
    this.blockBytes = grow(this.blockBytes, new Int32Array(n));
    this.preBytes = grow(this.preBytes, new Int32Array(n));
    this.itemBytes = grow(this.itemBytes, new Int32Array(n));
    this.refBits = grow(this.refBits, new Int32Array(n));
    this.valueBits = grow(this.valueBits, new Int32Array(n));
    this.refStart = grow(this.refStart, new Int32Array(n + 1));
    this.rows = grow(this.rows, new Int32Array(n * ROW_STRIDE));
  }

  private ensureRefWords(length: number): void {
    if (length > this.refWords.length) {
      this.refWords = grow(this.refWords, new Int32Array(Math.max(length, this.refWords.length * 2)));
    }
  }
}

function grow<T extends Uint8Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function checkBytes(name: string, key: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > MAX_OBJECT_BYTES) {
    throw new TypeSpecError(
      name,
      `${key} must be an integer from ${min} to ${MAX_OBJECT_BYTES}, got ${String(value)}`,
    );
  }
}

/** Validates reference offsets (4-aligned, inside `within` bytes, no repeats) and sorts them. */
function sortedOffsets(name: string, key: string, offsets: readonly number[], within: number): number[] {
  if (!Array.isArray(offsets)) throw new TypeSpecError(name, `${key} must be an array of byte offsets`);
  const sorted = [...offsets].sort((a, b) => a - b);
  for (let k = 0; k < sorted.length; k++) {
    const offset = sorted[k];
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset % 4 !== 0) {
      throw new TypeSpecError(name, `${key}: ${String(offset)} is not a 4-aligned byte offset`);
    }
    if (offset + 4 > within) {
      throw new TypeSpecError(name, `${key}: a slot at ${offset} does not fit in ${within} bytes`);
    }
    if (k > 0 && sorted[k - 1] === offset) throw new TypeSpecError(name, `${key}: ${offset} is listed twice`);
  }
  return sorted;
}

/** What a word of a type's mask holds: nothing of note, a reference slot, a value slot. */
export const REF_SLOT = 1;
export const VALUE_SLOT = 2;

function wordMask(refs: readonly number[], values: readonly number[], bytes: number): Uint8Array {
  const mask = new Uint8Array(Math.ceil(bytes / 4));
  for (const offset of refs) mask[offset >>> 2] = REF_SLOT;
  for (const offset of values) mask[offset >>> 2] = VALUE_SLOT;
  return mask;
}

/** Bit `w` set for each slot in payload word `w` < 32 (the fast path's test). */
function firstWordBits(offsets: readonly number[]): number {
  let bits = 0;
  for (const offset of offsets) if (offset < 128) bits |= 1 << (offset >>> 2);
  return bits;
}

function disjoint(
  name: string,
  aKey: string,
  a: readonly number[],
  bKey: string,
  b: readonly number[],
): void {
  for (const offset of b) {
    if (a.includes(offset)) throw new TypeSpecError(name, `${offset} is in both ${aKey} and ${bKey}`);
  }
}
