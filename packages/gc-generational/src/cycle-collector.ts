/**
 * CPython's generational cycle collector (`Python/gc.c`, the 3.13 generational design) over the
 * objects of a `@heapkit/refcount` `ObjectSpace`, with the `gc` module's API in camelCase.
 *
 * Objects of `gc: true` types are tracked on generation lists linked through their GC
 * pre-header (`gc-lists.ts`). A collection of generation N merges the younger generations into
 * it and then, as CPython does:
 *
 *  1. `updateRefs`: copy each candidate's refcount into its pre-header's gc refs;
 *  2. `subtractRefs`: for every reference between candidates, subtract one from the target's
 *     gc refs; what stays above zero is referenced from outside the candidates;
 *  3. `moveUnreachable`: everything reachable from those stays, the rest moves to `unreachable`;
 *  4. survivors move up a generation;
 *  5. objects with a legacy finalizer, and everything they reach, become uncollectable
 *     (`garbage`);
 *  6. weakrefs with callbacks to unreachable objects are cleared, and their callbacks called
 *     when the weakref itself is not garbage;
 *  7. finalizers run (once per object);
 *  8. the reachability analysis runs again on the unreachable: what a finalizer resurrected
 *     survives;
 *  9. the remaining weakrefs to the garbage are cleared, and each garbage object is `clear`ed,
 *     which breaks the cycles: reference counting frees them.
 */
import { formatPtr, MemoryError, type Ptr } from '@heapkit/memory';
import {
  defaultUnraisableHook,
  FINALIZED as i_FINALIZED,
  GC_HEAD_BYTES as i_GC_HEAD_BYTES,
  GC_REFS_WORD as i_GC_REFS_WORD,
  HAS_WEAKREFS as i_HAS_WEAKREFS,
  TYPE_ID_MASK as i_TYPE_ID_MASK,
  type ObjectSpace,
  type PendingCallbacks,
  type Visit,
} from '@heapkit/refcount';
import {
  DEBUG_ALL,
  DEBUG_COLLECTABLE,
  DEBUG_SAVEALL,
  DEBUG_STATS,
  DEBUG_UNCOLLECTABLE,
} from './debug-flags.js';
import { InvalidGenerationError, InvalidSettingError, NotTrackableError } from './errors.js';
import {
  COLLECTING as i_COLLECTING,
  listFirst as i_listFirst,
  listInit as i_listInit,
  listIsEmpty as i_listIsEmpty,
  listMerge as i_listMerge,
  listMergeFront as i_listMergeFront,
  listMove as i_listMove,
  listNext as i_listNext,
  listPrepend as i_listPrepend,
  listRemove as i_listRemove,
  listSize as i_listSize,
  MAX_GC_REFS as i_MAX_GC_REFS,
  REFS_ONE as i_REFS_ONE,
  UNREACHABLE as i_UNREACHABLE,
} from './gc-lists.js';
import { WALK_FIXED as i_WALK_FIXED, TypeTable } from './type-table.js';

// Module-local copies of the imported constants and list functions the passes use. Under
// vitest, Vite's module runner rewrites every read of an imported binding into a getter call on
// the imported module's namespace object (`__vi_ssr_import_0__.GC_REFS_WORD`), which V8 does not
// inline: in the passes' loops that made collections about 5x slower in the test process than in
// plain Node (issue 14). Reads of module-local constants cost nothing in either.
const FINALIZED = i_FINALIZED;
const GC_HEAD_BYTES = i_GC_HEAD_BYTES;
const GC_REFS_WORD = i_GC_REFS_WORD;
const HAS_WEAKREFS = i_HAS_WEAKREFS;
const TYPE_ID_MASK = i_TYPE_ID_MASK;
const COLLECTING = i_COLLECTING;
const MAX_GC_REFS = i_MAX_GC_REFS;
const REFS_ONE = i_REFS_ONE;
const UNREACHABLE = i_UNREACHABLE;
const WALK_FIXED = i_WALK_FIXED;
const listMove = i_listMove;
const listInit = i_listInit;
const listFirst = i_listFirst;
const listIsEmpty = i_listIsEmpty;
const listMerge = i_listMerge;
const listMergeFront = i_listMergeFront;
const listNext = i_listNext;
const listPrepend = i_listPrepend;
const listRemove = i_listRemove;
const listSize = i_listSize;
/** Number of generations (CPython's `NUM_GENERATIONS`). */
export const GENERATIONS = 3;

/** When automatic collections run. */
export type AutomaticMode = 'allocation' | 'safepoint';

/** `'start'` before a collection, `'stop'` after it (`gc.callbacks`). */
export type CollectionPhase = 'start' | 'stop';

/** What `gc.callbacks` are told. */
export interface CollectionInfo {
  /** The oldest generation collected. */
  readonly generation: number;
  /** Objects found unreachable and freed (0 at `'start'`). */
  readonly collected: number;
  /** Objects found unreachable but uncollectable, put in `garbage` (0 at `'start'`). */
  readonly uncollectable: number;
  /** Objects examined: every tracked object of the collected generations (0 at `'start'`). */
  readonly candidates: number;
  /** Milliseconds the collection took (0 at `'start'`). */
  readonly duration: number;
}

/** A function in {@link CycleCollector.callbacks}. */
export type CollectionCallback = (phase: CollectionPhase, info: CollectionInfo) => void;

/** One generation's totals, as `gc.get_stats()` reports them. */
export interface GenerationStats {
  collections: number;
  collected: number;
  uncollectable: number;
}

/** Options of a {@link CycleCollector}. */
export interface CycleCollectorOptions {
  /**
   * When automatic collections run once tracked allocations minus deallocations pass threshold
   * 0: `'allocation'` (default) inside the allocation that crossed it, as CPython up to 3.11;
   * `'safepoint'` only when the runtime calls {@link CycleCollector.safePoint} (CPython's eval
   * breaker since 3.12), so that no collection ever runs in the middle of the runtime's own
   * operations.
   */
  readonly automatic?: AutomaticMode;
  /** Initial thresholds; default `[2000, 10, 10]` (`gc.get_threshold()` of CPython 3.13). */
  readonly thresholds?: readonly [number, number, number];
  /** Where `DEBUG_STATS` and the other debug flags print, a line at a time. Default: stderr. */
  readonly debugSink?: (line: string) => void;
}

/** Heads allocated in the memory: one per generation, the permanent one, and working lists. */
const HEAD_COUNT = GENERATIONS + 6;

/**
 * The cycle collector of one {@link ObjectSpace}: CPython's `gc` module. Create one per space
 * (it attaches itself); from then on every object of a `gc: true` type is tracked.
 *
 * ```ts
 * const space = new ObjectSpace(new ArenaAllocator());
 * const gc = new CycleCollector(space);
 * const Node = space.registerType({ name: 'Node', size: 4, refs: [0], gc: true });
 * const a = space.alloc(Node.id);
 * space.setRef(a, 0, a); // a cycle
 * space.decref(a); // unreachable, but its count is still 1
 * gc.collect(); // → 1
 * ```
 */
export class CycleCollector {
  readonly space: ObjectSpace;
  /**
   * Uncollectable objects (and, with `DEBUG_SAVEALL`, every unreachable one), each with a
   * reference held by the list (`gc.garbage`). Use {@link clearGarbage} to let them go.
   */
  readonly garbage: Ptr[] = [];
  /** Functions called before and after every collection (`gc.callbacks`). */
  readonly callbacks: CollectionCallback[] = [];
  /** The automatic-collection mode chosen at construction. */
  readonly automatic: AutomaticMode;

  private readonly table: TypeTable;
  private readonly generationHeads: number[];
  private readonly permanent: number;
  private readonly unreachableHead: number;
  private readonly finalizersHead: number;
  private readonly stillHead: number;
  private readonly seenHead: number;
  /** The objects under collection (the collected generations, merged): allocations during it go to generation 0. */
  private readonly youngHead: number;
  /** Set when a `traverse` threw during the reachability analysis: nothing can be freed safely. */
  private traverseFailed = false;
  private readonly counts = [0, 0, 0];
  private readonly thresholds: [number, number, number];
  private readonly stats: GenerationStats[] = [0, 1, 2].map(() => ({
    collections: 0,
    collected: 0,
    uncollectable: 0,
  }));
  private enabled = true;
  private collecting = false;
  private collectionDue = false;
  private debugFlags = 0;
  private longLivedTotal = 0;
  private longLivedPending = 0;
  private readonly debugSink: (line: string) => void;
  /** The list `moveUnreachable` scans, for its visitor (set while it runs). */
  private scanHead = 0;
  private readonly visitSubtract: Visit = (child) => this.subtractChild(this.space.memory.u32, child);
  private readonly visitReachable: Visit = (child) => {
    if (this.reachChild(this.space.memory.u32, child)) this.movedBack++;
  };
  /** Objects a general-walk visit brought back from `unreachable` (see `moveUnreachable`). */
  private movedBack = 0;
  /** What `moveLegacyFinalizers` saw in the garbage: lets later steps skip their passes. */
  private sawWeakrefs = false;
  private sawFinalizers = false;
  private readonly visitLegacy: Visit = (child) => this.moveToFinalizers(child);

  constructor(space: ObjectSpace, options: CycleCollectorOptions = {}) {
    this.space = space;
    const automatic = options.automatic ?? 'allocation';
    if (automatic !== 'allocation' && automatic !== 'safepoint') {
      throw new InvalidSettingError(
        `CycleCollector: automatic must be 'allocation' or 'safepoint', got ${String(automatic)}`,
      );
    }
    this.automatic = automatic;
    const thresholds = options.thresholds ?? [2000, 10, 10];
    checkThresholds(thresholds, 'CycleCollector');
    this.thresholds = [thresholds[0], thresholds[1], thresholds[2]];
    this.debugSink = options.debugSink ?? defaultSink;
    this.table = new TypeTable(space);
    const heads: number[] = [];
    for (let k = 0; k < HEAD_COUNT; k++) {
      const head = space.allocator.malloc(GC_HEAD_BYTES);
      if (head === 0) throw new MemoryError(GC_HEAD_BYTES, 'CycleCollector: no room for its list heads');
      listInit(space.memory.u32, head);
      heads.push(head);
    }
    this.generationHeads = heads.slice(0, GENERATIONS);
    [
      this.permanent,
      this.unreachableHead,
      this.finalizersHead,
      this.stillHead,
      this.seenHead,
      this.youngHead,
    ] = heads.slice(GENERATIONS) as [number, number, number, number, number, number];
    space.attachCollector({ onAlloc: (obj) => this.onAlloc(obj), onFree: (obj) => this.onFree(obj) });
  }

  // --- the gc module ---------------------------------------------------------------------------

  /**
   * Collects generation `generation` and the younger ones (`gc.collect`); returns the number of
   * unreachable objects found (collected plus uncollectable). Returns 0 without collecting when
   * a collection is already running (a finalizer calling `collect`).
   */
  collect(generation = 2): number {
    checkGeneration(generation, 'collect');
    if (this.collecting) return 0;
    const info = this.collectWithCallbacks(generation);
    return info.collected + info.uncollectable;
  }

  /** Turns automatic collection on (`gc.enable`). */
  enable(): void {
    this.enabled = true;
  }

  /** Turns automatic collection off (`gc.disable`); `collect` still works. */
  disable(): void {
    this.enabled = false;
  }

  /** True when automatic collection is on (`gc.isenabled`). */
  isEnabled(): boolean {
    return this.enabled;
  }

  /**
   * `[count0, count1, count2]` (`gc.get_count`): tracked allocations minus deallocations since
   * the last collection of generation 0, then the collections of each younger generation since
   * the last collection of the next one.
   */
  getCount(): [number, number, number] {
    return [this.counts[0]!, this.counts[1]!, this.counts[2]!];
  }

  /** The collection thresholds (`gc.get_threshold`). */
  getThreshold(): [number, number, number] {
    return [...this.thresholds];
  }

  /**
   * Sets the thresholds (`gc.set_threshold`); omitted ones keep their value. Threshold 0 of
   * generation 0 turns automatic collection off. Throws `InvalidSettingError` for a value that
   * is not a non-negative integer, changing nothing.
   */
  setThreshold(threshold0: number, threshold1?: number, threshold2?: number): void {
    const next: [number, number, number] = [
      threshold0,
      threshold1 ?? this.thresholds[1],
      threshold2 ?? this.thresholds[2],
    ];
    checkThresholds(next, 'setThreshold');
    this.thresholds[0] = next[0];
    this.thresholds[1] = next[1];
    this.thresholds[2] = next[2];
  }

  /**
   * The tracked objects, of one generation or of all (`gc.get_objects`), as borrowed
   * references. Frozen objects are not included.
   */
  getObjects(generation?: number): Ptr[] {
    if (generation !== undefined) checkGeneration(generation, 'getObjects');
    const out: Ptr[] = [];
    const u32 = this.space.memory.u32;
    for (let g = 0; g < GENERATIONS; g++) {
      if (generation !== undefined && g !== generation) continue;
      const head = this.generationHeads[g]!;
      for (let node = listFirst(u32, head); node !== head; node = listNext(u32, node))
        out.push(node + GC_HEAD_BYTES);
    }
    return out;
  }

  /** Per generation: collections, objects collected, objects found uncollectable (`gc.get_stats`). */
  getStats(): GenerationStats[] {
    return this.stats.map((s) => ({ ...s }));
  }

  /** The tracked objects that refer to any of `objs` (`gc.get_referrers`), borrowed. */
  getReferrers(...objs: Ptr[]): Ptr[] {
    const wanted = new Set(objs);
    const out: Ptr[] = [];
    for (const obj of this.getObjects()) {
      let refers = false;
      this.space.forEachReferent(obj, (child) => {
        if (wanted.has(child)) refers = true;
      });
      if (refers) out.push(obj);
    }
    return out;
  }

  /** The objects any of `objs` refers to (`gc.get_referents`), borrowed. */
  getReferents(...objs: Ptr[]): Ptr[] {
    const out: Ptr[] = [];
    for (const obj of objs) this.space.forEachReferent(obj, (child) => out.push(child));
    return out;
  }

  /** True when the collector tracks `obj` (`gc.is_tracked`); false for non-GC types. */
  isTracked(obj: Ptr): boolean {
    const type = this.space.typeOf(obj);
    return type.gc && this.space.memory.u32[(obj - GC_HEAD_BYTES) >>> 2] !== 0;
  }

  /** True when `obj`'s finalizer has run (`gc.is_finalized`). */
  isFinalized(obj: Ptr): boolean {
    return this.space.isFinalized(obj);
  }

  /**
   * Tracks `obj` again (`PyObject_GC_Track`): it joins generation 0. A no-op when it is tracked.
   * Throws `NotTrackableError` for an object of a type without the GC pre-header.
   */
  track(obj: Ptr): void {
    this.checkTrackable(obj, 'track');
    const u32 = this.space.memory.u32;
    const node = obj - GC_HEAD_BYTES;
    if (u32[node >>> 2] !== 0) return;
    listPrepend(u32, node, this.generationHeads[0]!);
  }

  /**
   * Stops tracking `obj` (`PyObject_GC_UnTrack`): the collector never examines it again until
   * it is tracked. For objects that cannot be part of a cycle any more.
   */
  untrack(obj: Ptr): void {
    this.checkTrackable(obj, 'untrack');
    const u32 = this.space.memory.u32;
    const node = obj - GC_HEAD_BYTES;
    if (u32[node >>> 2] !== 0) listRemove(u32, node);
  }

  /**
   * Moves every tracked object to the permanent generation, which collections ignore
   * (`gc.freeze`): for a runtime that forks, or that has loaded what it keeps forever.
   */
  freeze(): void {
    const u32 = this.space.memory.u32;
    for (const head of this.generationHeads) listMerge(u32, head, this.permanent);
    this.counts[0] = 0;
  }

  /** Moves the permanent generation back into the oldest one (`gc.unfreeze`). */
  unfreeze(): void {
    listMerge(this.space.memory.u32, this.permanent, this.generationHeads[GENERATIONS - 1]!);
  }

  /** The number of objects in the permanent generation (`gc.get_freeze_count`). */
  getFreezeCount(): number {
    return listSize(this.space.memory.u32, this.permanent);
  }

  /**
   * Sets the debugging flags (`gc.set_debug`): a combination of `DEBUG_STATS`,
   * `DEBUG_COLLECTABLE`, `DEBUG_UNCOLLECTABLE`, `DEBUG_SAVEALL` (or `DEBUG_LEAK`).
   */
  setDebug(flags: number): void {
    if (!Number.isInteger(flags) || flags < 0 || (flags & ~DEBUG_ALL) !== 0) {
      throw new InvalidSettingError(`setDebug: unknown debug flags ${String(flags)}`);
    }
    this.debugFlags = flags;
  }

  /** The debugging flags (`gc.get_debug`). */
  getDebug(): number {
    return this.debugFlags;
  }

  /** Drops the references `garbage` holds and empties it (`del gc.garbage[:]`). */
  clearGarbage(): void {
    const objs = this.garbage.splice(0);
    for (const obj of objs) this.space.decref(obj);
  }

  /**
   * The runtime's safe point (in `'safepoint'` mode): runs the collection that allocations made
   * due since the last one, if any. Returns the number of unreachable objects found.
   */
  safePoint(): number {
    if (!this.collectionDue) return 0;
    this.collectionDue = false;
    if (!this.enabled || this.collecting) return 0;
    return this.collectGenerations();
  }

  // --- tracking --------------------------------------------------------------------------------

  private onAlloc(obj: Ptr): void {
    // Newest first: objects mostly refer to older ones, so a scan that meets an object before
    // what it refers to rarely has to move anything (see moveUnreachable).
    listPrepend(this.space.memory.u32, obj - GC_HEAD_BYTES, this.generationHeads[0]!);
    const count = ++this.counts[0]!;
    if (count > this.thresholds[0] && this.thresholds[0] !== 0 && this.enabled && !this.collecting) {
      if (this.automatic === 'allocation') this.collectGenerations();
      else this.collectionDue = true;
    }
  }

  private onFree(obj: Ptr): void {
    const u32 = this.space.memory.u32;
    const node = obj - GC_HEAD_BYTES;
    if (u32[node >>> 2] === 0) return; // untracked
    listRemove(u32, node);
    if (this.counts[0]! > 0) this.counts[0]!--;
  }

  /** The automatic choice of generation (CPython's `gc_collect_generations`). */
  private collectGenerations(): number {
    for (let g = GENERATIONS - 1; g >= 0; g--) {
      if (this.counts[g]! > this.thresholds[g]!) {
        // The long-lived heuristic: a full collection only when enough has been promoted since.
        if (g === GENERATIONS - 1 && this.longLivedPending < this.longLivedTotal / 4) continue;
        const info = this.collectWithCallbacks(g);
        return info.collected + info.uncollectable;
      }
    }
    return 0;
  }

  /**
   * One collection with its `gc.callbacks`. "A collection is running" covers the callbacks too,
   * so that a callback's `collect()` returns 0 at once, as CPython's does.
   */
  private collectWithCallbacks(generation: number): CollectionInfo {
    this.collecting = true;
    try {
      this.invokeCallbacks('start', {
        generation,
        collected: 0,
        uncollectable: 0,
        candidates: 0,
        duration: 0,
      });
      const info = this.collectMain(generation);
      this.invokeCallbacks('stop', info);
      return info;
    } finally {
      this.collecting = false;
    }
  }

  /**
   * Reports an error thrown by user code to the space's `onUnraisable`; when that hook throws
   * too, both go to the default hook (stderr), so that nothing escapes a collection.
   */
  private report(error: unknown, message: string, object: Ptr): void {
    try {
      this.space.onUnraisable({ error, message, object });
    } catch (hookError) {
      defaultUnraisableHook({ error: hookError, message: 'onUnraisable hook', object });
      defaultUnraisableHook({ error, message, object });
    }
  }

  /** Writes a debug line; a sink that throws is reported, and the collection goes on. */
  private say(line: string): void {
    try {
      this.debugSink(line);
    } catch (error) {
      this.report(error, 'gc debugSink', 0);
    }
  }

  /**
   * The general walk (items, `traverse`) of one object, for the analysis passes. A `traverse`
   * that throws is reported and marks the collection: it can no longer tell what is garbage.
   */
  private walkGeneral(node: number, visit: Visit): void {
    try {
      this.space.forEachReferent(node + GC_HEAD_BYTES, visit);
    } catch (error) {
      this.traverseFailed = true;
      this.report(error, `traverse of ${this.space.typeName(node + GC_HEAD_BYTES)}`, node + GC_HEAD_BYTES);
    }
  }

  private invokeCallbacks(phase: CollectionPhase, info: CollectionInfo): void {
    for (const callback of [...this.callbacks]) {
      try {
        callback(phase, info);
      } catch (error) {
        this.report(error, `gc callback (${phase})`, 0);
      }
    }
  }

  // --- a collection ----------------------------------------------------------------------------

  private collectMain(generation: number): CollectionInfo {
    const start = performance.now();
    {
      const stats = (this.debugFlags & DEBUG_STATS) !== 0;
      let u32 = this.space.memory.u32;
      if (stats) {
        this.say(`gc: collecting generation ${generation}...`);
        const sizes = this.generationHeads.map((h) => listSize(u32, h)).join(' ');
        this.say(`gc: objects in each generation: ${sizes}`);
        this.say(`gc: objects in permanent generation: ${listSize(u32, this.permanent)}`);
      }
      if (generation + 1 < GENERATIONS) this.counts[generation + 1]!++;
      for (let g = 0; g <= generation; g++) this.counts[g] = 0;
      // The collected generations move to a working list, younger ones in front (newest first):
      // objects allocated while the collection runs (by user code) join generation 0, not it.
      const young = this.youngHead;
      listInit(u32, young);
      for (let g = generation; g >= 0; g--) listMerge(u32, this.generationHeads[g]!, young);
      const old = this.generationHeads[Math.min(generation + 1, GENERATIONS - 1)]!;
      this.traverseFailed = false;
      this.table.refresh();

      const unreachable = this.unreachableHead;
      const candidates = this.updateRefs(young);
      this.subtractRefs(young);
      const unreachableCount = this.moveUnreachable(young, unreachable);

      // Survivors move up a generation (the long-lived counts feed the full-collection heuristic).
      if (generation < GENERATIONS - 1) {
        if (generation === GENERATIONS - 2) this.longLivedPending += candidates - unreachableCount;
        listMergeFront(u32, young, old);
      } else {
        this.longLivedPending = 0;
        this.longLivedTotal = candidates - unreachableCount;
        listMerge(u32, young, old);
      }

      const finalizers = this.finalizersHead;
      listInit(u32, finalizers);
      if (this.table.anyLegacy) {
        this.moveLegacyFinalizers(unreachable, finalizers);
        this.moveLegacyFinalizerReachable(finalizers);
      }
      if (this.traverseFailed) {
        // A traverse threw: what it did not report may be reachable, so nothing is garbage this
        // time. Everything survives, untouched; a later collection looks again.
        this.keepAll(unreachable, old);
        this.keepAll(finalizers, old);
        const record = this.stats[generation]!;
        record.collections++;
        const duration = performance.now() - start;
        return { generation, collected: 0, uncollectable: 0, candidates, duration };
      }

      const calledBack = this.handleWeakrefCallbacks(unreachable);
      const finalized = this.finalizeGarbage(unreachable);
      const still = this.stillHead;
      if (calledBack || finalized) {
        this.handleResurrected(unreachable, still, old);
      } else {
        // No code ran since the analysis, so nothing can have been resurrected (or freed).
        listInit(this.space.memory.u32, still);
        listMerge(this.space.memory.u32, unreachable, still);
      }
      const codeRan = calledBack || finalized;
      const collected =
        codeRan || this.sawWeakrefs || this.table.anyLegacy
          ? this.clearWeakrefs(still, codeRan || this.sawWeakrefs)
          : unreachableCount; // nothing moved in or out of the garbage since the analysis
      if ((this.debugFlags & DEBUG_COLLECTABLE) !== 0) this.printList(still, 'collectable');
      this.deleteGarbage(still, old);

      u32 = this.space.memory.u32;
      const uncollectable = listSize(u32, finalizers);
      if ((this.debugFlags & DEBUG_UNCOLLECTABLE) !== 0) this.printList(finalizers, 'uncollectable');
      this.handleLegacyFinalizers(finalizers, old);

      const record = this.stats[generation]!;
      record.collections++;
      record.collected += collected;
      record.uncollectable += uncollectable;
      const duration = performance.now() - start;
      if (stats) {
        this.say(
          `gc: done, ${collected + uncollectable} unreachable, ${uncollectable} uncollectable, ${(duration / 1000).toFixed(4)}s elapsed`,
        );
      }
      return { generation, collected, uncollectable, candidates, duration };
    }
  }

  /**
   * Step 1: gc refs = refcount, COLLECTING set. An object whose count is 0 is being deallocated
   * by a loop this collection interrupted (a finalizer called `collect`): it counts as referenced
   * from outside, so neither it nor what it holds is touched. Returns the number of objects.
   */
  private updateRefs(head: number): number {
    const u32 = this.space.memory.u32;
    const i32 = this.space.memory.i32;
    let n = 0;
    for (let node = u32[head >>> 2]!; node !== head; node = u32[node >>> 2]!) {
      const w = node >>> 2;
      const rc = i32[w + 4]!; // the refcount: the object's first word, right after the 16-byte pre-header
      // gc refs in bits 2.., the flags in bits 0-1 (one word, as CPython packs them in _gc_prev).
      i32[w + GC_REFS_WORD] =
        (rc === 0 ? REFS_ONE : rc >= MAX_GC_REFS ? MAX_GC_REFS * REFS_ONE : rc * REFS_ONE) | COLLECTING;
      n++;
    }
    return n;
  }

  /**
   * Step 2: one less gc ref for every reference from a candidate to a candidate. No user code
   * runs here (a `traverse` must not allocate), so the views and tables are read once; types
   * registered since the collection started are unknown to the table and count as non-GC, which
   * only ever keeps objects alive.
   */
  private subtractRefs(head: number): void {
    let u32 = this.space.memory.u32;
    const { walk, refStart, refWords } = this.table;
    for (let node = u32[head >>> 2]!; node !== head; node = u32[node >>> 2]!) {
      const h = (node >>> 2) + 4; // the object's header word
      const t = u32[h + 1]! & TYPE_ID_MASK;
      if (walk[t] === WALK_FIXED) {
        const end = refStart[t + 1]!;
        for (let k = refStart[t]!; k < end; k++) {
          const child = u32[h + refWords[k]!]!;
          if (child !== 0) this.subtractChild(u32, child);
        }
      } else {
        this.walkGeneral(node, this.visitSubtract);
        u32 = this.space.memory.u32; // user code ran
      }
    }
  }

  private subtractChild(u32: Uint32Array, child: Ptr): void {
    if (this.table.isGc[u32[(child >>> 2) + 1]! & TYPE_ID_MASK] !== 1) return;
    const w = (child - GC_HEAD_BYTES) >>> 2;
    const v = u32[w + GC_REFS_WORD]!;
    if ((v & COLLECTING) !== 0) u32[w + GC_REFS_WORD] = v - REFS_ONE;
  }

  /**
   * Step 3 (CPython's `move_unreachable`): scans the list; an object with gc refs left is
   * reachable, and so is everything it refers to: those found already moved to `unreachable`
   * come back to the end of the list (and are scanned in turn), those not yet scanned get gc
   * refs 1. An object still at 0 when the scan reaches it moves to `unreachable` (tentatively:
   * something scanned later may bring it back). Returns the number left in `unreachable`.
   */
  private moveUnreachable(young: number, unreachable: number): number {
    let u32 = this.space.memory.u32;
    listInit(u32, unreachable);
    this.scanHead = young;
    const { walk, refStart, refWords, finalizer } = this.table;
    const weakrefType = this.space.weakrefType.id;
    this.sawWeakrefs = false;
    this.sawFinalizers = false;
    let moved = 0;
    let node = u32[young >>> 2]!;
    while (node !== young) {
      const w = node >>> 2;
      if (u32[w + GC_REFS_WORD]! >= REFS_ONE) {
        const h = w + 4;
        const t = u32[h + 1]! & TYPE_ID_MASK;
        if (walk[t] === WALK_FIXED) {
          const end = refStart[t + 1]!;
          for (let k = refStart[t]!; k < end; k++) {
            const child = u32[h + refWords[k]!]!;
            if (child !== 0 && this.reachChild(u32, child)) moved--;
          }
        } else {
          this.movedBack = 0;
          this.walkGeneral(node, this.visitReachable);
          u32 = this.space.memory.u32; // user code ran
          moved -= this.movedBack;
        }
        u32[w + GC_REFS_WORD] = 0; // reachable: no longer a candidate
        node = u32[w]!;
      } else {
        const next = u32[w]!;
        listMove(u32, node, unreachable);
        u32[w + GC_REFS_WORD] = COLLECTING | UNREACHABLE;
        moved++;
        // Note what later steps will have to do for it (an object moved back only adds work).
        const word = u32[w + 5]!;
        const t = word & TYPE_ID_MASK;
        if ((word & HAS_WEAKREFS) !== 0 || t === weakrefType) this.sawWeakrefs = true;
        if (finalizer[t] === 1 && (word & FINALIZED) === 0) this.sawFinalizers = true;
        node = next;
      }
    }
    return moved;
  }

  /** A reachable object refers to `child`: make it reachable too. True when it came back from `unreachable`. */
  private reachChild(u32: Uint32Array, child: Ptr): boolean {
    if (this.table.isGc[u32[(child >>> 2) + 1]! & TYPE_ID_MASK] !== 1) return false;
    const node = child - GC_HEAD_BYTES;
    const w = node >>> 2;
    const v = u32[w + GC_REFS_WORD]!;
    if ((v & COLLECTING) === 0) return false;
    if ((v & UNREACHABLE) !== 0) {
      listMove(u32, node, this.scanHead);
      u32[w + GC_REFS_WORD] = REFS_ONE | COLLECTING;
      return true;
    }
    if (v < REFS_ONE) u32[w + GC_REFS_WORD] = REFS_ONE | COLLECTING;
    return false;
  }

  /** Step 5: objects with a legacy finalizer (`tp_del`) go to `finalizers`, uncollectable. */
  private moveLegacyFinalizers(unreachable: number, finalizers: number): void {
    const u32 = this.space.memory.u32;
    let node = u32[unreachable >>> 2]!;
    while (node !== unreachable) {
      const w = node >>> 2;
      const next = u32[w]!;
      u32[w + GC_REFS_WORD] = u32[w + GC_REFS_WORD]! & ~UNREACHABLE;
      const t = u32[w + 5]! & TYPE_ID_MASK; // the type word: second word after the pre-header
      if (this.table.legacy[t] === 1) {
        u32[w + GC_REFS_WORD] = 0;
        listMove(u32, node, finalizers);
      }
      node = next;
    }
  }

  /** ...and so does everything they reach (it must stay valid for them). */
  private moveLegacyFinalizerReachable(finalizers: number): void {
    for (let node = this.space.memory.u32[finalizers >>> 2]!; node !== finalizers; ) {
      this.walkGeneral(node, this.visitLegacy);
      node = this.space.memory.u32[node >>> 2]!;
    }
  }

  private moveToFinalizers(child: Ptr): void {
    const u32 = this.space.memory.u32;
    const t = u32[(child >>> 2) + 1]! & TYPE_ID_MASK;
    if (this.table.isGc[t] !== 1) return;
    const node = child - GC_HEAD_BYTES;
    if ((u32[(node >>> 2) + GC_REFS_WORD]! & COLLECTING) === 0) return;
    u32[(node >>> 2) + GC_REFS_WORD] = 0;
    listMove(u32, node, this.finalizersHead);
  }

  /**
   * Step 6 (`handle_weakref_callbacks`): every weakref with a callback to an unreachable object
   * is cleared; its callback runs if the weakref itself is not garbage (garbage pointing at
   * garbage must not run code that could see half-cleared objects). All are cleared first, then
   * called.
   */
  private handleWeakrefCallbacks(unreachable: number): boolean {
    if (!this.sawWeakrefs) return false;
    const pending: PendingCallbacks = { refs: [], callbacks: [] };
    const notGarbage = (wr: Ptr) =>
      (this.space.memory.u32[((wr - GC_HEAD_BYTES) >>> 2) + GC_REFS_WORD]! & COLLECTING) === 0;
    const u32 = this.space.memory.u32;
    for (let node = u32[unreachable >>> 2]!; node !== unreachable; node = u32[node >>> 2]!) {
      // The type word (just after the refcount) says whether any weakref points here.
      if ((u32[(node >>> 2) + 5]! & HAS_WEAKREFS) === 0) continue;
      this.space.clearWeakrefsOf(node + GC_HEAD_BYTES, notGarbage, true, pending);
    }
    if (pending.refs.length === 0) return false;
    this.space.runWeakrefCallbacks(pending);
    return true;
  }

  /** Step 7 (`finalize_garbage`): each unreachable object's finalizer, once. */
  private finalizeGarbage(unreachable: number): boolean {
    if (!this.sawFinalizers) return false;
    const seen = this.seenHead;
    listInit(this.space.memory.u32, seen);
    while (!listIsEmpty(this.space.memory.u32, unreachable)) {
      const u32 = this.space.memory.u32;
      const node = listFirst(u32, unreachable);
      listMove(u32, node, seen);
      const obj = node + GC_HEAD_BYTES;
      if (this.space.memory.i32[obj >>> 2] === 0) continue; // being freed by an interrupted deallocation
      if (this.space.isFinalized(obj) || this.space.typeOf(obj).finalize === undefined) continue;
      this.space.incref(obj);
      this.space.callFinalizer(obj);
      this.space.decref(obj); // may free it (and take it off `seen`)
    }
    listMerge(this.space.memory.u32, seen, unreachable);
    return true;
  }

  /**
   * Step 8 (`handle_resurrected_objects`): the analysis again, within the unreachable set; what a
   * finalizer made reachable survives (into the old generation), the rest goes on to `still`.
   */
  private handleResurrected(unreachable: number, still: number, old: number): void {
    this.table.refresh(); // finalizers may have registered types
    this.updateRefs(unreachable);
    this.subtractRefs(unreachable);
    this.moveUnreachable(unreachable, still);
    if (this.traverseFailed) this.keepAll(still, unreachable); // as in collectMain: all survive
    const u32 = this.space.memory.u32;
    for (let node = u32[still >>> 2]!; node !== still; node = u32[node >>> 2]!) {
      u32[(node >>> 2) + GC_REFS_WORD] = COLLECTING;
    }
    listMerge(u32, unreachable, old);
  }

  /** Clears the collection flags of every object on `head`'s list and moves them all to `old`. */
  private keepAll(head: number, old: number): void {
    const u32 = this.space.memory.u32;
    for (let node = u32[head >>> 2]!; node !== head; node = u32[node >>> 2]!)
      u32[(node >>> 2) + GC_REFS_WORD] = 0;
    listMerge(u32, head, old);
  }

  /** Step 9a (`clear_weakrefs`): no weakref to the garbage survives, and garbage weakrefs die mute. */
  private clearWeakrefs(still: number, any: boolean): number {
    const never = () => false;
    const weakrefType = this.space.weakrefType.id;
    const u32 = this.space.memory.u32;
    let n = 0;
    for (let node = u32[still >>> 2]!; node !== still; node = u32[node >>> 2]!) {
      n++;
      if (!any) continue; // no weakref was seen in the garbage, and no code ran to make one
      const obj = node + GC_HEAD_BYTES;
      const word = u32[(node >>> 2) + 5]!;
      if ((word & TYPE_ID_MASK) === weakrefType) this.space.clearWeakref(obj);
      if ((word & HAS_WEAKREFS) !== 0) this.space.clearWeakrefsOf(obj, never);
    }
    return n;
  }

  /**
   * Step 9b (`delete_garbage`): `clear` each object (or keep it in `garbage` with SAVEALL), which
   * breaks the cycles; reference counting then frees them, and they leave the list as they go.
   * What is still there after its `clear` survives into the old generation.
   */
  private deleteGarbage(still: number, old: number): void {
    const space = this.space;
    const table = this.table;
    while (!listIsEmpty(space.memory.u32, still)) {
      const node = listFirst(space.memory.u32, still);
      const obj = node + GC_HEAD_BYTES;
      if (space.memory.i32[obj >>> 2] === 0) {
        // Its count fell to zero during this collection while a deallocation loop this
        // collection interrupted is running: that loop frees it (and takes it off the list).
        const u32 = space.memory.u32;
        u32[(node >>> 2) + GC_REFS_WORD] = 0;
        listMove(u32, node, old);
        continue;
      }
      if ((this.debugFlags & DEBUG_SAVEALL) !== 0) {
        space.incref(obj);
        this.garbage.push(obj);
      } else {
        const t = space.memory.u32[(obj >>> 2) + 1]! & TYPE_ID_MASK;
        if (table.walk[t] === WALK_FIXED && table.customClear[t] === 0) {
          this.clearSlots(obj, t);
        } else {
          space.incref(obj);
          try {
            space.clearRefs(obj);
          } catch (error) {
            this.report(error, `clear of ${space.typeName(obj)}`, obj);
          }
          space.decref(obj);
        }
      }
      const u32 = space.memory.u32;
      if (listFirst(u32, still) === node) {
        u32[(node >>> 2) + GC_REFS_WORD] = 0;
        listMove(u32, node, old);
      }
    }
  }

  /**
   * The default `tp_clear` of an object whose references are all in fixed slots, done here
   * without a call per slot: hold a reference, empty each slot and drop what it held, release.
   */
  private clearSlots(obj: Ptr, t: number): void {
    const space = this.space;
    const { refStart, refWords } = this.table;
    const h = obj >>> 2;
    space.incref(obj);
    const end = refStart[t + 1]!;
    for (let k = refStart[t]!; k < end; k++) {
      const u32 = space.memory.u32; // a decref may have run a finalizer that grew the memory
      const old = u32[h + refWords[k]!]!;
      if (old === 0) continue;
      u32[h + refWords[k]!] = 0;
      space.decref(old);
    }
    space.decref(obj);
  }

  /** Step 10: the uncollectable go to `garbage` and join the old generation. */
  private handleLegacyFinalizers(finalizers: number, old: number): void {
    const u32 = this.space.memory.u32;
    const saveAll = (this.debugFlags & DEBUG_SAVEALL) !== 0;
    for (let node = u32[finalizers >>> 2]!; node !== finalizers; node = u32[node >>> 2]!) {
      const obj = node + GC_HEAD_BYTES;
      u32[(node >>> 2) + GC_REFS_WORD] = 0;
      if (saveAll || this.space.typeOf(obj).legacyFinalizer) {
        this.space.incref(obj);
        this.garbage.push(obj);
      }
    }
    listMerge(this.space.memory.u32, finalizers, old);
  }

  private printList(head: number, what: string): void {
    const u32 = this.space.memory.u32;
    for (let node = u32[head >>> 2]!; node !== head; node = u32[node >>> 2]!) {
      const obj = node + GC_HEAD_BYTES;
      this.say(`gc: ${what} <${this.space.typeName(obj)} ${formatPtr(obj)}>`);
    }
  }

  private checkTrackable(obj: Ptr, operation: string): void {
    const type = this.space.typeOf(obj); // throws for a pointer that is not a live object
    if (!type.gc) throw new NotTrackableError(obj, type.name, operation);
  }
}

function checkGeneration(generation: unknown, operation: string): void {
  if (generation !== 0 && generation !== 1 && generation !== 2)
    throw new InvalidGenerationError(generation, operation);
}

function checkThresholds(values: readonly number[], operation: string): void {
  if (!Array.isArray(values) || values.length !== GENERATIONS) {
    throw new InvalidSettingError(`${operation}: thresholds must be 3 non-negative integers`);
  }
  for (const value of values) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new InvalidSettingError(
        `${operation}: a threshold must be a non-negative integer, got ${String(value)}`,
      );
    }
  }
}

function defaultSink(line: string): void {
  const stderr = (globalThis as { process?: { stderr?: { write(s: string): unknown } } }).process?.stderr;
  if (stderr !== undefined) stderr.write(`${line}\n`);
  else console.log(line);
}
