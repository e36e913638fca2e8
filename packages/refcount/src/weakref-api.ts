/**
 * The weak-reference API of a space (`weakref.ref`, `weakref.getweakrefcount`,
 * `weakref.getweakrefs`) and the clearing of a dying target's weakrefs with their callbacks
 * (`PyObject_ClearWeakRefs`). The lists themselves are `weakrefs.ts`.
 */
import { ConfigurationError, formatPtr, type Ptr } from '@heapkit/memory';
import { alloc } from './allocation.js';
import { checkedLiveTypeId, checkedTypeId, increment, isLive, report, type SpaceCore } from './core.js';
import { REFCOUNT_WORD, TYPE_ID_MASK, TYPE_WORD } from './header.js';
import { notWeakref } from './raise.js';
import { decref, incref } from './refcounts.js';
import { T_WEAKREF } from './types.js';
import type { WeakrefCallback } from './weakrefs.js';

/**
 * Weakref callbacks cleared but not yet called, with a reference held on each weakref: the
 * collector clears every garbage object's weakrefs first and calls back afterwards, as
 * CPython's `handle_weakref_callbacks` does.
 */
export interface PendingCallbacks {
  readonly refs: Ptr[];
  readonly callbacks: WeakrefCallback[];
}

/** `weakref.ref(target, callback)`: a new reference to a weakref (the callback-less one is shared). */
export function weakref(c: SpaceCore, target: Ptr, callback: WeakrefCallback | undefined): Ptr {
  checkedLiveTypeId(c, target, 'weakref');
  if (callback !== undefined && typeof callback !== 'function') {
    throw new TypeError(`weakref(${formatPtr(target)}): callback must be a function (weakref) => void`);
  }
  if (callback === undefined) {
    const shared = c.weakrefs.basicRef(target);
    if (shared !== 0) {
      increment(c.i32, shared);
      return shared;
    }
  }
  const wr = alloc(c, c.weakrefType, 0);
  c.weakrefs.link(target, wr, callback);
  return wr;
}

/** Checks that `wr` is a live weakref object. */
export function checkWeakref(c: SpaceCore, wr: Ptr, operation: string): void {
  const t = checkedTypeId(c, wr, operation);
  if ((c.tFlags[t]! & T_WEAKREF) === 0) throw notWeakref(c, wr, t, operation);
}

/** Calling a `weakref.ref`: its target as a new reference, or 0 once it is dead or dying. */
export function weakrefGet(c: SpaceCore, wr: Ptr): Ptr {
  checkWeakref(c, wr, 'weakrefGet');
  const target = c.weakrefs.target(wr);
  if (target === 0 || c.i32[(target >>> 2) + REFCOUNT_WORD]! === 0) return 0;
  incref(c, target);
  return target;
}

/** `weakref.getweakrefcount`. */
export function getWeakrefCount(c: SpaceCore, target: Ptr): number {
  checkedTypeId(c, target, 'getWeakrefCount');
  return c.weakrefs.count(target);
}

/** `weakref.getweakrefs`: borrowed references. */
export function getWeakrefs(c: SpaceCore, target: Ptr): Ptr[] {
  checkedTypeId(c, target, 'getWeakrefs');
  return c.weakrefs.list(target);
}

/** True when `obj` is a live weakref object (never throws). */
export function isWeakref(c: SpaceCore, obj: unknown): boolean {
  return isLive(c, obj) && (c.tFlags[c.i32[(obj >>> 2) + TYPE_WORD]! & TYPE_ID_MASK]! & T_WEAKREF) !== 0;
}

/**
 * Clears `target`'s weakrefs and calls their callbacks, newest first, each once
 * (`PyObject_ClearWeakRefs`); only those `shouldCall` accepts when given. With `callbacksOnly`,
 * the weakrefs without a callback stay. With `deferTo`, the callbacks are collected there
 * instead of called (see {@link runWeakrefCallbacks}).
 */
export function clearWeakrefs(
  c: SpaceCore,
  target: Ptr,
  shouldCall: ((weakref: Ptr) => boolean) | undefined,
  callbacksOnly: boolean,
  deferTo: PendingCallbacks | undefined,
): void {
  const refs: Ptr[] = [];
  const callbacks: WeakrefCallback[] = [];
  c.weakrefs.clear(target, refs, callbacks, callbacksOnly);
  if (shouldCall !== undefined) {
    for (let k = refs.length - 1; k >= 0; k--) {
      if (!shouldCall(refs[k]!)) {
        refs.splice(k, 1);
        callbacks.splice(k, 1);
      }
    }
  }
  // Keep each weakref alive across its callback (the callback may drop the last reference).
  for (const wr of refs) increment(c.i32, wr);
  if (deferTo !== undefined) {
    deferTo.refs.push(...refs);
    deferTo.callbacks.push(...callbacks);
    return;
  }
  runWeakrefCallbacks(c, { refs, callbacks });
}

/**
 * Runs the callbacks in `pending`, in order, each once (errors go to `onUnraisable`), drops the
 * reference held on each weakref, and empties `pending`.
 */
export function runWeakrefCallbacks(c: SpaceCore, pending: PendingCallbacks): void {
  const { refs, callbacks } = pending;
  if (!Array.isArray(refs) || !Array.isArray(callbacks) || refs.length !== callbacks.length) {
    throw new ConfigurationError(
      'runWeakrefCallbacks: pass the { refs, callbacks } that clearWeakrefsOf filled',
    );
  }
  for (let k = 0; k < refs.length; k++) {
    try {
      callbacks[k]!(refs[k]!);
    } catch (error) {
      report(c, error, 'weakref callback', refs[k]!);
    }
    decref(c, refs[k]!);
  }
  refs.length = 0;
  callbacks.length = 0;
}
