/**
 * `@heapkit/refcount/collector`: the port a cycle collector (`@heapkit/gc-generational`) plugs
 * into a space. It is not part of `ObjectSpace`'s API: a runtime never needs it.
 *
 * ```ts
 * import { attachCollector } from '@heapkit/refcount/collector';
 * const port = attachCollector(space, { onAlloc: (obj) => track(obj), onFree: (obj) => untrack(obj) });
 * port.callFinalizer(obj);
 * ```
 *
 * The hooks are called for objects of `gc: true` types only: `onAlloc` once the object is
 * initialized (GC pre-header zeroed), `onFree` when it is about to be freed (its finalizer ran
 * and it was not resurrected). The port's methods are the steps of CPython's `gc_collect_main`
 * that need the space's internals: finalizers, and weakrefs with deferred callbacks.
 */
import { ConfigurationError, describeValue, type Ptr } from '@heapkit/memory';
import { type CollectorHooks, checkedLiveTypeId, checkedTypeId, coreOf, type SpaceCore } from './core.js';
import { runFinalizer } from './deallocation.js';
import { FINALIZED, HAS_WEAKREFS, TYPE_WORD } from './header.js';
import type { ObjectSpace } from './object-space.js';
import { T_FINALIZE } from './types.js';
import { freeUnreachable, freeUnreachableMany } from './unreachable-release.js';
import { checkWeakref, clearWeakrefs, type PendingCallbacks, runWeakrefCallbacks } from './weakref-api.js';

export type { CollectorHooks } from './core.js';
export type { PendingCallbacks } from './weakref-api.js';

/** What {@link attachCollector} returns: the collector's access to the space. */
export interface CollectorPort {
  /**
   * Calls `obj`'s finalizer if its type has one and it has not run yet, and marks the object
   * finalized (`PyObject_CallFinalizer`). The caller owns a reference to `obj` across the call;
   * an error goes to the space's `onUnraisable`. Returns true when the finalizer ran.
   */
  callFinalizer(obj: Ptr): boolean;
  /**
   * Clears every weakref to `target` now (their target becomes 0) and calls the callbacks of
   * those for which `shouldCall(weakref)` is true, newest first, each once (CPython's
   * `handle_weakrefs`: only weakrefs that are not garbage themselves). Without `shouldCall`,
   * every live weakref's callback runs. With `callbacksOnly` (default false), the weakrefs
   * without a callback stay (cleared after the finalizers ran, so a finalizer still sees them).
   * With `deferTo`, the callbacks are collected there for {@link runWeakrefCallbacks}.
   */
  clearWeakrefsOf(
    target: Ptr,
    shouldCall?: (weakref: Ptr) => boolean,
    callbacksOnly?: boolean,
    deferTo?: PendingCallbacks,
  ): void;
  /**
   * Runs callbacks collected by {@link clearWeakrefsOf} with `deferTo`, in order, each once
   * (errors go to `onUnraisable`), drops the reference held on each weakref, empties `pending`.
   */
  runWeakrefCallbacks(pending: PendingCallbacks): void;
  /**
   * Clears weakref `wr` without calling its callback, which will never run: its target becomes 0
   * (`_PyWeakref_ClearRef` on a weakref that is garbage itself). Throws `NotAWeakrefError`.
   */
  clearWeakref(wr: Ptr): void;
  /**
   * Frees `obj`, which the collector proved unreachable, whatever its count and without dropping
   * the references it holds or calling `onFree`: the collector has dropped those to objects
   * outside the garbage and frees the rest of the garbage the same way (its bulk path; see
   * `unreachable-release.ts`). Returns false, doing nothing, when the object's deallocation
   * would run code (finalizer, weakrefs, a weakref, `traverse`, items). Throws
   * `InvalidObjectError` when `obj` is not a live object.
   */
  freeUnreachable(obj: Ptr): boolean;
  /**
   * {@link freeUnreachable} for `objs[0]` to `objs[count - 1]` at once, for less work per object
   * (the allocator's `freeMany` when it has one). Every object is checked before any is freed:
   * returns false, freeing none, when one's deallocation would run code; throws
   * `InvalidObjectError`, freeing none, when one is not a live object. The entries of `objs` are
   * overwritten.
   */
  freeUnreachableMany(objs: Uint32Array, count: number): boolean;
}

/**
 * Plugs a cycle collector into `space`: `hooks` are told about every object of a `gc: true`
 * type allocated or freed from now on. One collector per space (a second is a
 * `ConfigurationError`). Returns the collector's port.
 */
export function attachCollector(space: ObjectSpace, hooks: CollectorHooks): CollectorPort {
  const c = coreOf(space);
  if (c === undefined) throw new ConfigurationError('attachCollector: space must be an ObjectSpace');
  if (
    hooks === null ||
    typeof hooks !== 'object' ||
    typeof hooks.onAlloc !== 'function' ||
    typeof hooks.onFree !== 'function'
  ) {
    throw new ConfigurationError('attachCollector: hooks must be { onAlloc(obj), onFree(obj) }');
  }
  if (c.collector !== undefined) throw new ConfigurationError('ObjectSpace: a collector is already attached');
  c.collector = hooks;
  return new Port(c);
}

class Port implements CollectorPort {
  constructor(private readonly c: SpaceCore) {}

  callFinalizer(obj: Ptr): boolean {
    const c = this.c;
    const t = checkedLiveTypeId(c, obj, 'callFinalizer');
    if ((c.tFlags[t]! & T_FINALIZE) === 0 || (c.i32[(obj >>> 2) + TYPE_WORD]! & FINALIZED) !== 0)
      return false;
    runFinalizer(c, obj, t);
    return true;
  }

  clearWeakrefsOf(
    target: Ptr,
    shouldCall?: (weakref: Ptr) => boolean,
    callbacksOnly = false,
    deferTo?: PendingCallbacks,
  ): void {
    const c = this.c;
    checkedTypeId(c, target, 'clearWeakrefsOf');
    if ((c.i32[(target >>> 2) + TYPE_WORD]! & HAS_WEAKREFS) !== 0) {
      clearWeakrefs(c, target, shouldCall, callbacksOnly, deferTo);
    }
  }

  runWeakrefCallbacks(pending: PendingCallbacks): void {
    runWeakrefCallbacks(this.c, pending);
  }

  clearWeakref(wr: Ptr): void {
    checkWeakref(this.c, wr, 'clearWeakref');
    this.c.weakrefs.detach(wr);
  }

  freeUnreachable(obj: Ptr): boolean {
    return freeUnreachable(this.c, obj);
  }

  freeUnreachableMany(objs: Uint32Array, count: number): boolean {
    if (!(objs instanceof Uint32Array)) {
      throw new TypeError(`freeUnreachableMany: objs must be a Uint32Array, got ${describeValue(objs)}`);
    }
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > objs.length) {
      throw new RangeError(
        `freeUnreachableMany: count must be an integer from 0 to objs.length (${objs.length}), got ${describeValue(count)}`,
      );
    }
    return freeUnreachableMany(this.c, objs, count);
  }
}
