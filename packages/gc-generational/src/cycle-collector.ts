/**
 * The `gc` module of one `ObjectSpace`: CPython's generational cycle collector (`Python/gc.c`)
 * with its API in camelCase. This class is the front: it owns the generation lists, the settings
 * and `garbage`/`callbacks`, and hands the work to the parts:
 *
 *   tracking.ts        the space's hooks: every GC object's birth and death (the fast path)
 *   scheduler.ts       counts, thresholds, when automatic collections run and which generation
 *   collection.ts      one collection as numbered steps over a per-run state (run-state.ts)
 *   reachability.ts    update / subtract refs, move unreachable (the analysis)
 *   update-subtract.ts update and subtract refs fused in one sweep (a collection's steps 2-3)
 *   finalization.ts    weakref callbacks, finalizers, resurrection, weakref clearing
 *   garbage.ts         legacy finalizers, `clear`, `garbage`
 *   bulk-release.ts    garbage whose freeing runs no code, freed without the refcount cascade
 *   gc-head.ts         the GC pre-header's named offsets and accessors (gc-lists.ts: its lists)
 *   type-table.ts      per-type flat tables for the walk
 *   space-port.ts      every call into the space's collector-only hooks
 *   debug-output.ts    the DEBUG_* lines; settings.ts: options and argument checks
 *   api-types.ts       the types of `callbacks` and `getStats()`
 */
import { MemoryError, type Ptr } from '@heapkit/memory';
import type { ObjectSpace } from '@heapkit/refcount';
import type { CollectionCallback, CollectionInfo, CollectionPhase, GenerationStats } from './api-types.js';
import { type CollectionContext, collectGeneration } from './collection.js';
import { DEBUG_STATS } from './debug-flags.js';
import { DebugOutput } from './debug-output.js';
import { NotTrackableError } from './errors.js';
import { GC_HEAD_BYTES, isLinked, nodeOf, objectOf } from './gc-head.js';
import { listInit, listMerge, listNext, listRemove, listSize } from './gc-lists.js';
import { CollectionRun, Scratch, type WorkingHeads } from './run-state.js';
import { Scheduler } from './scheduler.js';
import {
  type AutomaticMode,
  type CycleCollectorOptions,
  checkDebugFlags,
  checkGeneration,
  checkOptions,
  checkThresholds,
  GENERATIONS,
} from './settings.js';
import { SpacePort } from './space-port.js';
import { Tracker } from './tracking.js';
import { TypeTable } from './type-table.js';

export type { CollectionCallback, CollectionInfo, CollectionPhase, GenerationStats };
export { type AutomaticMode, type CycleCollectorOptions, GENERATIONS };

/** List heads in the memory: one per generation, the permanent one, and the working lists. */
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

  private readonly scheduler: Scheduler;
  private readonly tracker: Tracker;
  private readonly generationHeads: number[];
  private readonly permanent: number;
  private readonly context: CollectionContext;
  private readonly output: DebugOutput;
  private readonly stats: GenerationStats[] = [0, 1, 2].map(() => ({
    collections: 0,
    collected: 0,
    uncollectable: 0,
  }));
  private debugFlags = 0;

  constructor(space: ObjectSpace, options: CycleCollectorOptions = {}) {
    const settings = checkOptions(options);
    this.space = space;
    this.automatic = settings.automatic;
    this.scheduler = new Scheduler(settings.thresholds, settings.scaleYoungThreshold);
    const port = new SpacePort(space);
    this.output = new DebugOutput(space, port, settings.debugSink);
    const heads: number[] = [];
    for (let k = 0; k < HEAD_COUNT; k++) {
      const head = space.allocator.malloc(GC_HEAD_BYTES);
      if (head === 0) throw new MemoryError(GC_HEAD_BYTES, 'CycleCollector: no room for its list heads');
      listInit(space.memory.u32, head);
      heads.push(head);
    }
    this.generationHeads = heads.slice(0, GENERATIONS);
    const [permanent, young, unreachable, finalizers, still, seen] = heads.slice(GENERATIONS) as number[];
    this.permanent = permanent!;
    const working: WorkingHeads = {
      young: young!,
      unreachable: unreachable!,
      finalizers: finalizers!,
      still: still!,
      seen: seen!,
    };
    const table = new TypeTable(port);
    this.context = {
      space,
      port,
      table,
      heads: working,
      generationHeads: this.generationHeads,
      garbage: this.garbage,
      output: this.output,
      run: new CollectionRun(space, port, table, working, new Scratch()),
    };
    // Every list a tracked object can be on, oldest first, for numbering them all again: the
    // permanent generation, generations 2 and 1, the working lists (empty outside a collection;
    // during one, its candidates: older than what user code allocates meanwhile), generation 0.
    const [gen0, gen1, gen2] = this.generationHeads as [number, number, number];
    const lists = [permanent!, gen2, gen1, seen!, finalizers!, unreachable!, still!, young!, gen0];
    this.tracker = new Tracker(space.memory, lists, this.scheduler, () => this.thresholdPassed());
    port.attach(this.tracker);
  }

  // --- the gc module ---------------------------------------------------------------------------

  /**
   * Collects generation `generation` and the younger ones (`gc.collect`); returns the number of
   * unreachable objects found (collected plus uncollectable). Returns 0 at once when a
   * collection is already running (called from a finalizer, a callback or any other user code).
   */
  collect(generation = 2): number {
    checkGeneration(generation, 'collect');
    if (this.scheduler.collecting) return 0;
    return this.collectWithCallbacks(generation);
  }

  /** Turns automatic collection on (`gc.enable`). */
  enable(): void {
    this.scheduler.enabled = true;
  }

  /** Turns automatic collection off (`gc.disable`); `collect` still works. */
  disable(): void {
    this.scheduler.enabled = false;
  }

  /** True when automatic collection is on (`gc.isenabled`). */
  isEnabled(): boolean {
    return this.scheduler.enabled;
  }

  /**
   * `[count0, count1, count2]` (`gc.get_count`): tracked allocations minus deallocations since
   * the last collection of generation 0, then the collections of each younger generation since
   * the last collection of the next one.
   */
  getCount(): [number, number, number] {
    return this.scheduler.counts();
  }

  /** The collection thresholds (`gc.get_threshold`). */
  getThreshold(): [number, number, number] {
    return [...this.scheduler.thresholds];
  }

  /**
   * Sets the thresholds (`gc.set_threshold`); omitted ones keep their value. Threshold 0 of
   * generation 0 turns automatic collection off. Throws `InvalidSettingError` for a value that
   * is not a non-negative integer, changing nothing.
   */
  setThreshold(threshold0: number, threshold1?: number, threshold2?: number): void {
    const t = this.scheduler.thresholds;
    const next: [number, number, number] = [threshold0, threshold1 ?? t[1], threshold2 ?? t[2]];
    checkThresholds(next, 'setThreshold');
    this.scheduler.setThresholds(next);
  }

  /**
   * The tracked objects, of one generation or of all (`gc.get_objects`), as borrowed
   * references, newest first (generation 0's, then 1's, then 2's). Frozen objects, and those
   * under a running collection, are not included.
   */
  getObjects(generation?: number): Ptr[] {
    if (generation !== undefined) checkGeneration(generation, 'getObjects');
    const out: Ptr[] = [];
    const u32 = this.space.memory.u32;
    for (let g = 0; g < GENERATIONS; g++) {
      if (generation !== undefined && g !== generation) continue;
      const head = this.generationHeads[g]!;
      for (let node = listNext(u32, head); node !== head; node = listNext(u32, node))
        out.push(objectOf(node));
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
    return this.space.typeOf(obj).gc && isLinked(this.space.memory.u32, nodeOf(obj));
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
    this.tracker.track(obj);
  }

  /**
   * Stops tracking `obj` (`PyObject_GC_UnTrack`): the collector never examines it again until
   * it is tracked. For objects that cannot be part of a cycle any more.
   */
  untrack(obj: Ptr): void {
    this.checkTrackable(obj, 'untrack');
    const u32 = this.space.memory.u32;
    if (isLinked(u32, nodeOf(obj))) listRemove(u32, nodeOf(obj));
  }

  /**
   * Moves every tracked object to the permanent generation, which collections ignore
   * (`gc.freeze`): for a runtime that forks, or that has loaded what it keeps forever.
   */
  freeze(): void {
    const u32 = this.space.memory.u32;
    for (const head of this.generationHeads) listMerge(u32, head, this.permanent);
    this.scheduler.young = 0;
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
    checkDebugFlags(flags);
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
    const scheduler = this.scheduler;
    if (!scheduler.due) return 0;
    scheduler.due = false;
    if (!scheduler.enabled || scheduler.collecting) return 0;
    return this.collectAutomatically();
  }

  // --- tracking (the space's hooks) ------------------------------------------------------------

  // The hooks themselves are `tracking.ts`'s Tracker; this is its way back when an allocation
  // passes the young threshold.
  private thresholdPassed(): void {
    if (this.automatic === 'allocation') this.collectAutomatically();
    else this.scheduler.due = true;
  }

  // --- a collection ----------------------------------------------------------------------------

  private collectAutomatically(): number {
    const generation = this.scheduler.chooseGeneration();
    return generation < 0 ? 0 : this.collectWithCallbacks(generation);
  }

  /**
   * One collection with its `gc.callbacks`. "A collection is running" covers the callbacks too,
   * so that a callback's `collect()` returns 0 at once, as CPython's does. Returns the number of
   * unreachable objects found. Without callbacks, allocates nothing on the JS heap (as CPython
   * builds the callbacks' info dict only when there are callbacks).
   */
  private collectWithCallbacks(generation: number): number {
    const scheduler = this.scheduler;
    scheduler.collecting = true;
    try {
      if (this.callbacks.length > 0) {
        this.invokeCallbacks('start', {
          generation,
          collected: 0,
          uncollectable: 0,
          candidates: 0,
          duration: 0,
        });
      }
      // Timed only for whoever reads the duration (a callback registered during the collection
      // is told 0): `performance.now()` returns a heap number, the last allocation of a collection.
      const timed = this.callbacks.length > 0 || (this.debugFlags & DEBUG_STATS) !== 0;
      const start = timed ? performance.now() : 0;
      if ((this.debugFlags & DEBUG_STATS) !== 0)
        this.output.start(generation, this.generationHeads, this.permanent);
      scheduler.started(generation);
      const result = collectGeneration(this.context, generation, this.debugFlags);
      scheduler.survived(generation, result.survivors);
      scheduler.freedMany(result.freedInBulk);
      const { collected, uncollectable, candidates } = result;
      const record = this.stats[generation]!;
      record.collections++;
      record.collected += collected;
      record.uncollectable += uncollectable;
      const duration = timed ? performance.now() - start : 0;
      if ((this.debugFlags & DEBUG_STATS) !== 0)
        this.output.done(collected + uncollectable, uncollectable, duration);
      if (this.callbacks.length > 0)
        this.invokeCallbacks('stop', { generation, collected, uncollectable, candidates, duration });
      return collected + uncollectable;
    } finally {
      scheduler.collecting = false;
    }
  }

  private invokeCallbacks(phase: CollectionPhase, info: CollectionInfo): void {
    for (const callback of [...this.callbacks]) {
      try {
        callback(phase, info);
      } catch (error) {
        this.context.port.report(error, `gc callback (${phase})`, 0);
      }
    }
  }

  private checkTrackable(obj: Ptr, operation: string): void {
    const type = this.space.typeOf(obj); // throws for a pointer that is not a live object
    if (!type.gc) throw new NotTrackableError(obj, type.name, operation);
  }
}
