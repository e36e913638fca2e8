/**
 * What the collector needs to know of each type, as flat tables indexed by type id, built from
 * the space's registered types on first sight of a new id: whether its objects carry the GC
 * pre-header, and where their references are. Types whose references are all in fixed slots
 * (the common case) are walked inline over typed arrays; the others (items, value slots,
 * `traverse`) through `ObjectSpace.forEachReferent`.
 */
import { GC_HEAD_WORDS } from './gc-head.js';
import type { SpacePort } from './space-port.js';

/** Items, value slots or a `traverse` callback: walk through `forEachReferent`. */
export const WALK_GENERAL = 0;
/** References all in fixed slots: walk `refWords` inline. */
export const WALK_FIXED = 1;

/**
 * A type's shape for the passes' inline walk: how many fixed slots, when that is all it has.
 * `SHAPE_PAIR` and `SHAPE_SINGLE` read `slotA` (and `slotB`) directly; `SHAPE_SLOTS` loops over
 * `refWords`; `SHAPE_GENERAL` goes through `forEachReferent`.
 */
export const SHAPE_GENERAL = 0;
export const SHAPE_NONE = 1;
export const SHAPE_SINGLE = 2;
export const SHAPE_PAIR = 3;
export const SHAPE_SLOTS = 4;

export class TypeTable {
  /** Number of type ids known (ids below it have rows). */
  known = 1;
  /** 1 when the type has the GC pre-header. */
  isGc = new Uint8Array(16);
  /** WALK_FIXED or WALK_GENERAL. */
  walk = new Uint8Array(16);
  /** SHAPE_*: the walk specialised by the number of fixed slots. */
  shape = new Uint8Array(16);
  /** A SHAPE_SINGLE or SHAPE_PAIR type's first and second slot, in words from the *node*. */
  slotA = new Int32Array(16);
  slotB = new Int32Array(16);
  /** 1 when the type has a legacy finalizer (`tp_del`). */
  legacy = new Uint8Array(16);
  /** True when some known type has a legacy finalizer. */
  anyLegacy = false;
  /** 1 when the type has its own `clear` (`tp_clear`); else the collector clears the slots itself. */
  customClear = new Uint8Array(16);
  /** 1 when the type has a `finalize` (PEP 442). */
  finalizer = new Uint8Array(16);
  /**
   * 1 when the type's garbage can be freed in bulk (bulk-release.ts): fixed slots only, the
   * default `clear`, no finalizer of any kind, not the weakref type.
   */
  bulk = new Uint8Array(16);
  /** Row t's fixed slots: `refWords[refStart[t] .. refStart[t + 1])`, word offsets from the object. */
  refStart = new Int32Array(17);
  refWords = new Int32Array(16);

  constructor(private readonly port: SpacePort) {}

  refresh(): void {
    const types = this.port.registeredTypes;
    const count = types.length + 1;
    if (count <= this.known) return;
    if (count > this.isGc.length) {
      const n = Math.max(count, this.isGc.length * 2);
      this.isGc = grow(this.isGc, new Uint8Array(n));
      this.walk = grow(this.walk, new Uint8Array(n));
      this.shape = grow(this.shape, new Uint8Array(n));
      this.slotA = grow(this.slotA, new Int32Array(n));
      this.slotB = grow(this.slotB, new Int32Array(n));
      this.legacy = grow(this.legacy, new Uint8Array(n));
      this.finalizer = grow(this.finalizer, new Uint8Array(n));
      this.bulk = grow(this.bulk, new Uint8Array(n));
      this.customClear = grow(this.customClear, new Uint8Array(n));
      this.refStart = grow(this.refStart, new Int32Array(n + 1));
    }
    for (let t = this.known; t < count; t++) {
      const type = types[t - 1]!;
      this.isGc[t] = type.gc ? 1 : 0;
      this.legacy[t] = type.legacyFinalizer ? 1 : 0;
      if (type.legacyFinalizer) this.anyLegacy = true;
      this.finalizer[t] = type.finalize !== undefined ? 1 : 0;
      this.customClear[t] = type.clear !== undefined ? 1 : 0;
      // Value slots (which may hold immediates) go through forEachReferent, which skips immediates.
      const general =
        type.itemRefs.length > 0 ||
        type.values.length > 0 ||
        type.itemValues.length > 0 ||
        type.traverse !== undefined;
      this.walk[t] = general ? WALK_GENERAL : WALK_FIXED;
      this.bulk[t] =
        !general &&
        type.clear === undefined &&
        type.finalize === undefined &&
        !type.legacyFinalizer &&
        t !== this.port.weakrefTypeId
          ? 1
          : 0;
      const start = this.refStart[t]!;
      if (start + type.refs.length > this.refWords.length) {
        this.refWords = grow(
          this.refWords,
          new Int32Array(Math.max(start + type.refs.length, this.refWords.length * 2)),
        );
      }
      for (let k = 0; k < type.refs.length; k++)
        this.refWords[start + k] = (type.payloadOffset + type.refs[k]!) >>> 2;
      this.refStart[t + 1] = start + (general ? 0 : type.refs.length);
      const n = type.refs.length;
      this.shape[t] = general
        ? SHAPE_GENERAL
        : n === 0
          ? SHAPE_NONE
          : n === 1
            ? SHAPE_SINGLE
            : n === 2
              ? SHAPE_PAIR
              : SHAPE_SLOTS;
      if (!general && n > 0) this.slotA[t] = GC_HEAD_WORDS + this.refWords[start]!;
      if (!general && n > 1) this.slotB[t] = GC_HEAD_WORDS + this.refWords[start + 1]!;
    }
    this.known = count;
  }
}

function grow<T extends Uint8Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
