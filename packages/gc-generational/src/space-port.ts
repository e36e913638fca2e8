/**
 * The collector's port into its `ObjectSpace`: every call the collector makes to the space's
 * collector-only hooks (`@heapkit/refcount/collector`'s port) goes through this one file
 * (attaching the allocation/free hooks, calling a finalizer, clearing weakrefs and running their
 * callbacks, `clear`, and reporting errors to `onUnraisable`). The rest of the collector uses only the space's public object API (`incref`,
 * `decref`, `typeOf`, `forEachReferent`, ...) and reads header words through `gc-head.ts`.
 */
import type { Ptr } from '@heapkit/memory';
import { defaultUnraisableHook, type ObjectSpace, type ObjectType } from '@heapkit/refcount';
import {
  attachCollector,
  type CollectorHooks,
  type CollectorPort,
  type PendingCallbacks,
} from '@heapkit/refcount/collector';

export class SpacePort {
  /** The type id of the space's weakrefs. */
  readonly weakrefTypeId: number;
  /** The space's collector port, once {@link attach} plugged the hooks in. */
  private port: CollectorPort | null = null;

  constructor(private readonly space: ObjectSpace) {
    this.weakrefTypeId = space.weakrefType.id;
  }

  /** Plugs the collector's allocation and free hooks in (once per space). */
  attach(hooks: CollectorHooks): void {
    this.port = attachCollector(this.space, hooks);
  }

  /** The attached port (the collector attaches in its constructor, before any collection). */
  private get attached(): CollectorPort {
    const port = this.port;
    if (port === null) throw new Error('SpacePort: attach() was not called');
    return port;
  }

  /** The space's registered types, in id order (id = index + 1). */
  get registeredTypes(): readonly ObjectType[] {
    return this.space.registeredTypes;
  }

  /** `PyObject_CallFinalizer`: runs `obj`'s finalizer if it has one that has not run; errors are reported. */
  callFinalizer(obj: Ptr): void {
    this.attached.callFinalizer(obj);
  }

  /**
   * Clears the weakrefs to `target` that have a callback, queueing the callbacks of those for
   * which `shouldCall` is true on `pending` (CPython's `handle_weakrefs` before the finalizers).
   */
  clearWeakrefsWithCallbacks(
    target: Ptr,
    shouldCall: (weakref: Ptr) => boolean,
    pending: PendingCallbacks,
  ): void {
    this.attached.clearWeakrefsOf(target, shouldCall, true, pending);
  }

  /** Runs the queued weakref callbacks (errors reported) and empties `pending`. */
  runWeakrefCallbacks(pending: PendingCallbacks): void {
    this.attached.runWeakrefCallbacks(pending);
  }

  /** Clears every weakref to `target`, calling no callback (garbage: `_PyWeakref_ClearRef`). */
  clearWeakrefsSilently(target: Ptr): void {
    this.attached.clearWeakrefsOf(target, never);
  }

  /** Clears the weakref `wr` itself, which is garbage: its callback never runs. */
  clearWeakref(wr: Ptr): void {
    this.attached.clearWeakref(wr);
  }

  /**
   * Frees `objs[0..count)`, proved unreachable, without dropping their references or calling
   * `onFree` (the bulk path: bulk-release.ts). False, freeing none, when one's deallocation would
   * run code. Overwrites the entries of `objs`.
   */
  freeUnreachableMany(objs: Uint32Array, count: number): boolean {
    return this.attached.freeUnreachableMany(objs, count);
  }

  /** `tp_clear`: breaks `obj`'s references (its type's `clear`, or every slot). May throw (user code). */
  clearRefs(obj: Ptr): void {
    this.space.clearRefs(obj);
  }

  /**
   * Reports an error thrown by user code to the space's `onUnraisable`; when that hook throws
   * too, both go to the default hook (stderr), so that nothing escapes a collection.
   */
  report(error: unknown, message: string, object: Ptr): void {
    try {
      this.space.onUnraisable({ error, message, object });
    } catch (hookError) {
      defaultUnraisableHook({ error: hookError, message: 'onUnraisable hook', object });
      defaultUnraisableHook({ error, message, object });
    }
  }
}

function never(): boolean {
  return false;
}
