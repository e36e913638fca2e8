/**
 * The object layout: where an object's header, optional GC pre-header and payload sit in the
 * memory. Every other file (and `@heapkit/gc-generational`) reads the layout through these
 * constants and accessors.
 *
 * ```
 *   block ──► ┌───────────┬───────────┬───────────┬───────────┐  GC pre-header (16 B), only for
 *   (malloc)  │  gc next  │  gc prev  │  gc refs  │  gc order │  types registered with `gc: true`;
 *             └───────────┴───────────┴───────────┴───────────┘  owned by the cycle collector
 *   obj ────► ┌───────────┬───────────────────────────────────┐
 *             │ refcount  │ type word                         │  header (8 B): every object
 *             ├───────────┼───────────┬───────────────────────┘
 *             │ length    │ capacity  │                          var header (8 B): types with items
 *             ├───────────┴───────────┴───────────────────────┐
 *             │ payload: the type's fixed part, then `length`  │  zeroed by alloc; 8-aligned
 *             │ items of `itemSize` bytes (var types)          │
 *             └────────────────────────────────────────────────┘
 *
 *   type word:  bits 0..23   type id (1 .. 2^24-1; 0 is never a type)
 *               bit  24      FINALIZED     finalize() has run (PEP 442: at most once)
 *               bit  25      HAS_WEAKREFS  some weakref points here (look it up in the weakref table)
 *               bits 26..31  reserved
 *
 *   capacity:   the items the block has room for, when `resize` over-allocated it (0: exactly
 *               `length`); the block's size is computed from the larger of the two.
 *
 *   gc refs:    the collector's word: its gc refs count and its flags packed together (see
 *               gc-generational's gc-lists.ts).
 *   gc order:   the collector's too: alloc zeroes it, and gc-generational keeps there the number
 *               that orders objects by when it began tracking them (its tracking-order.ts).
 * ```
 *
 * The object pointer is what every API takes and returns (as `PyObject *` is in CPython): the
 * GC pre-header is *before* it, like CPython's `PyGC_Head`, so code that does not know about the
 * collector never sees it. Object pointers are 8-aligned (the allocator's blocks must be).
 */

/** Bytes of the header every object starts with: refcount and type word. */
export const HEADER_BYTES = 8;
/** Bytes after the header of a variable-length object: its length, and padding to 8. */
export const VAR_HEADER_BYTES = 8;
/** Bytes of the GC pre-header placed before the object pointer of a `gc: true` type. */
export const GC_HEAD_BYTES = 16;
/** The GC pre-header in 32-bit words: from a GC block's first word to its object's header. */
export const GC_HEAD_WORDS = GC_HEAD_BYTES >>> 2;

/** Word offsets (in 32-bit words from the object pointer) of the header fields. */
export const REFCOUNT_WORD = 0;
export const TYPE_WORD = 1;
/** A variable-length object's number of items. */
export const LENGTH_WORD = 2;
/** A variable-length object's room in items, after `resize` (0: exactly `LENGTH_WORD`'s). */
export const CAPACITY_WORD = 3;
/** Word offset of a fixed-size object's payload. */
export const PAYLOAD_WORD = HEADER_BYTES >>> 2;
/** Word offset of a variable-length object's payload (after the var header). */
export const VAR_PAYLOAD_WORD = (HEADER_BYTES + VAR_HEADER_BYTES) >>> 2;

/** Word offsets from the *block* (obj - GC_HEAD_BYTES) of the GC pre-header fields. */
export const GC_NEXT_WORD = 0;
export const GC_PREV_WORD = 1;
export const GC_REFS_WORD = 2;
/** The fourth pre-header word: the collector's (zeroed by alloc; gc-generational numbers objects there). */
export const GC_RESERVED_WORD = 3;

/** Bits of the type word holding the type id. */
export const TYPE_ID_MASK = 0x00ff_ffff;
/** The largest type id. */
export const MAX_TYPE_ID = TYPE_ID_MASK;
/** `finalize` has been called on this object (PEP 442's "finalized" flag). */
export const FINALIZED = 1 << 24;
/** At least one weakref points to this object. */
export const HAS_WEAKREFS = 1 << 25;

/**
 * The refcount of an immortal object (PEP 683). Counts at or above it are never changed, so an
 * object whose count would overflow becomes immortal instead (as CPython 3.12 saturates).
 */
export const IMMORTAL_REFCOUNT = 0x3fff_ffff;

/** What `debug: true` writes over the header of a freed object, so later use is caught. */
export const POISON_WORD = 0xdddd_dddd | 0;

/** The type id in the type word of `obj`, read from `view` (no check). */
export function typeIdIn(view: Int32Array | Uint32Array, obj: number): number {
  return view[(obj >>> 2) + TYPE_WORD]! & TYPE_ID_MASK;
}
