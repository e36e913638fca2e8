/**
 * Weak references (CPython's `Objects/weakrefobject.c`). A weakref is an object of the built-in
 * `weakref` type; it does not own a reference to its target. Each target with weakrefs has a
 * doubly linked list of them, found through a JS-side map (the target's header has the
 * `HAS_WEAKREFS` bit, so objects without weakrefs never pay for the lookup; CPython keeps the
 * list head in a slot of the object instead).
 *
 * ```
 *   weakref object payload (16 B, after the 8 B header)
 *   ┌───────────┬───────────┬───────────┬───────────┐
 *   │ target    │ callback  │ next      │ prev      │  target: 0 once it died
 *   └───────────┴───────────┴───────────┴───────────┘  callback: index into `callbacks`, 0 = none
 * ```
 *
 * List order follows CPython: a weakref without a callback (the "basic ref", shared by every
 * `weakref(target)` call without one) stays at the head, and each weakref with a callback is
 * inserted right after it, so callbacks run from the most recently registered to the oldest.
 */
import type { Memory, Ptr } from '@heapkit/memory';
import { HAS_WEAKREFS, HEADER_BYTES, REFCOUNT_WORD, TYPE_WORD } from './header.js';

/** Called once with the weakref when its target has become unreachable. */
export type WeakrefCallback = (weakref: Ptr) => void;

/** Payload bytes of a weakref object. */
export const WEAKREF_PAYLOAD_BYTES = 16;
const TARGET = HEADER_BYTES >>> 2;
const CALLBACK = TARGET + 1;
const NEXT = TARGET + 2;
const PREV = TARGET + 3;

export class WeakrefTable {
  /** target -> first weakref of its list. */
  private readonly heads = new Map<number, number>();
  /** Callback functions by index; index 0 is "no callback". */
  private readonly callbacks: (WeakrefCallback | undefined)[] = [undefined];
  private readonly freeCallbackSlots: number[] = [];

  constructor(private readonly memory: Memory) {}

  /** The weakref's target, or 0 once it died. */
  target(weakref: Ptr): Ptr {
    return this.memory.u32[(weakref >>> 2) + TARGET]!;
  }

  /** The target's shared weakref without a callback, when it has a live one; else 0. */
  basicRef(target: Ptr): Ptr {
    const head = this.heads.get(target);
    if (head === undefined) return 0;
    const u32 = this.memory.u32;
    const w = head >>> 2;
    return u32[w + CALLBACK] === 0 && this.memory.i32[w + REFCOUNT_WORD]! > 0 ? head : 0;
  }

  /** Links a new weakref object (payload zeroed) to `target`'s list. */
  link(target: Ptr, weakref: Ptr, callback: WeakrefCallback | undefined): void {
    const u32 = this.memory.u32;
    const w = weakref >>> 2;
    u32[w + TARGET] = target;
    u32[w + CALLBACK] = callback === undefined ? 0 : this.storeCallback(callback);
    const head = this.heads.get(target) ?? 0;
    if (head !== 0 && callback !== undefined && u32[(head >>> 2) + CALLBACK] === 0) {
      // After the basic ref.
      const next = u32[(head >>> 2) + NEXT]!;
      u32[w + PREV] = head;
      u32[w + NEXT] = next;
      u32[(head >>> 2) + NEXT] = weakref;
      if (next !== 0) u32[(next >>> 2) + PREV] = weakref;
      return;
    }
    u32[w + NEXT] = head;
    if (head !== 0) u32[(head >>> 2) + PREV] = weakref;
    this.heads.set(target, weakref);
    this.memory.i32[(target >>> 2) + TYPE_WORD]! |= HAS_WEAKREFS;
  }

  /** How many weakrefs point to `target` (`weakref.getweakrefcount`). */
  count(target: Ptr): number {
    let n = 0;
    const u32 = this.memory.u32;
    for (let wr = this.heads.get(target) ?? 0; wr !== 0; wr = u32[(wr >>> 2) + NEXT]!) n++;
    return n;
  }

  /** The weakrefs pointing to `target`, head first (`weakref.getweakrefs`). */
  list(target: Ptr): Ptr[] {
    const out: Ptr[] = [];
    const u32 = this.memory.u32;
    for (let wr = this.heads.get(target) ?? 0; wr !== 0; wr = u32[(wr >>> 2) + NEXT]!) out.push(wr);
    return out;
  }

  /** True when `target` has a list here (for validation: the header bit must agree). */
  hasList(target: Ptr): boolean {
    return this.heads.has(target);
  }

  /**
   * A weakref object is being deallocated: takes it off its target's list (if the target is
   * still alive) and forgets its callback, which will never run.
   */
  detach(weakref: Ptr): void {
    const u32 = this.memory.u32;
    const w = weakref >>> 2;
    const target = u32[w + TARGET]!;
    if (target !== 0) this.unlink(target, weakref);
    this.releaseCallback(u32[w + CALLBACK]!);
    u32[w + CALLBACK] = 0;
  }

  /**
   * `target` is dying: clears every weakref to it (their target becomes 0) and returns, in
   * list order, the weakrefs whose callback must now run: those with a callback that are
   * themselves still alive, with their callbacks at the same index of `outCallbacks`. Each
   * callback is taken off its weakref, so it runs once; the caller calls it. With
   * `callbacksOnly`, only the weakrefs that have a callback are cleared (the cycle collector
   * clears the others later, after finalizers ran).
   */
  clear(target: Ptr, out: Ptr[], outCallbacks: WeakrefCallback[], callbacksOnly = false): void {
    const u32 = this.memory.u32;
    const i32 = this.memory.i32;
    let wr = this.heads.get(target) ?? 0;
    if (!callbacksOnly) {
      this.heads.delete(target);
      i32[(target >>> 2) + TYPE_WORD]! &= ~HAS_WEAKREFS;
    }
    while (wr !== 0) {
      const w = wr >>> 2;
      const next = u32[w + NEXT]!;
      if (callbacksOnly) {
        if (u32[w + CALLBACK] === 0) {
          wr = next;
          continue;
        }
        this.unlink(target, wr);
      }
      u32[w + TARGET] = 0;
      u32[w + NEXT] = 0;
      u32[w + PREV] = 0;
      const slot = u32[w + CALLBACK]!;
      if (slot !== 0) {
        u32[w + CALLBACK] = 0;
        const callback = this.callbacks[slot]!;
        this.releaseCallback(slot);
        if (i32[w + REFCOUNT_WORD]! > 0) {
          out.push(wr);
          outCallbacks.push(callback);
        }
      }
      wr = next;
    }
  }

  private unlink(target: Ptr, weakref: Ptr): void {
    const u32 = this.memory.u32;
    const w = weakref >>> 2;
    const next = u32[w + NEXT]!;
    const prev = u32[w + PREV]!;
    if (prev !== 0) u32[(prev >>> 2) + NEXT] = next;
    else if (next !== 0) this.heads.set(target, next);
    else {
      this.heads.delete(target);
      this.memory.i32[(target >>> 2) + TYPE_WORD]! &= ~HAS_WEAKREFS;
    }
    if (next !== 0) u32[(next >>> 2) + PREV] = prev;
    u32[w + NEXT] = 0;
    u32[w + PREV] = 0;
    u32[w + TARGET] = 0;
  }

  private storeCallback(callback: WeakrefCallback): number {
    const slot = this.freeCallbackSlots.pop();
    if (slot !== undefined) {
      this.callbacks[slot] = callback;
      return slot;
    }
    this.callbacks.push(callback);
    return this.callbacks.length - 1;
  }

  private releaseCallback(slot: number): void {
    if (slot === 0) return;
    this.callbacks[slot] = undefined;
    this.freeCallbackSlots.push(slot);
  }
}
