/**
 * What the collector needs to know of each type, as flat tables indexed by type id, built from
 * the space's registered types on first sight of a new id: whether its objects carry the GC
 * pre-header, and where their references are. Types whose references are all in fixed slots
 * (the common case) are walked inline over typed arrays; the others (items, value slots,
 * `traverse`) through `ObjectSpace.forEachReferent`.
 */
import type { SpacePort } from './space-port.js';

/** References all in fixed slots: walk `refWords` inline. */
export const WALK_FIXED = 1;
/** Items, value slots or a `traverse` callback: walk through `forEachReferent`. */
export const WALK_GENERAL = 2;

export class TypeTable {
  /** Number of type ids known (ids below it have rows). */
  known = 1;
  /** 1 when the type has the GC pre-header. */
  isGc = new Uint8Array(16);
  /** WALK_FIXED or WALK_GENERAL. */
  walk = new Uint8Array(16);
  /** 1 when the type has a legacy finalizer (`tp_del`). */
  legacy = new Uint8Array(16);
  /** True when some known type has a legacy finalizer. */
  anyLegacy = false;
  /** 1 when the type has its own `clear` (`tp_clear`); else the collector clears the slots itself. */
  customClear = new Uint8Array(16);
  /** 1 when the type has a `finalize` (PEP 442). */
  finalizer = new Uint8Array(16);
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
      this.legacy = grow(this.legacy, new Uint8Array(n));
      this.finalizer = grow(this.finalizer, new Uint8Array(n));
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
      if (general) this.refStart[t + 1] = start;
    }
    this.known = count;
  }
}

function grow<T extends Uint8Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
