/**
 * The state of one collection: the lists it works on and what its passes have learned, in one
 * object that the collector makes once and `begin`s afresh for every run (collections never
 * nest, so one is enough, and an automatic collection allocates nothing on the JS heap). Nothing
 * a run learns outlives the next `begin`. The list heads are the collector's own blocks in the
 * memory, reused from run to run.
 */
import type { ObjectSpace, Visit } from '@heapkit/refcount';
import type { SpacePort } from './space-port.js';
import type { TypeTable } from './type-table.js';

/** The collector's working list heads (blocks of the GC pre-header's shape). */
export interface WorkingHeads {
  /** The objects under collection: the collected generations, merged. */
  readonly young: number;
  /** Tentatively, then really, unreachable. */
  readonly unreachable: number;
  /** Uncollectable: legacy finalizers and what they reach. */
  readonly finalizers: number;
  /** The garbage left after the resurrection check. */
  readonly still: number;
  /** Objects whose finalizer step is done. */
  readonly seen: number;
}

/** Entries of the `later` buffer to start with, and the most kept from one run to the next. */
const SCRATCH_ENTRIES = 1024;
const SCRATCH_KEPT = 1 << 16;

/** Buffers a collection borrows from its collector, reused from run to run. */
export class Scratch {
  /** update-subtract.ts: children whose subtraction waits for the end of the sweep. */
  later = new Uint32Array(SCRATCH_ENTRIES);

  /** After a run: a buffer that grew large is let go (a large collection is rare; JS memory is not). */
  trim(): void {
    if (this.later.length > SCRATCH_KEPT) this.later = new Uint32Array(SCRATCH_ENTRIES);
  }
}

export class CollectionRun {
  /** The oldest generation collected (set by `begin`). */
  generation = 0;
  /** Where survivors go: the next generation's list (the oldest one's own for a full collection). */
  old = 0;
  /** `DEBUG_SAVEALL`: every unreachable object goes to `garbage`, none is freed. */
  saveAll = false;
  /** Set by the analysis: some unreachable object has weakrefs, or is one. */
  sawWeakrefs = false;
  /** Set by the analysis: some unreachable object has a finalizer that has not run. */
  sawFinalizers = false;
  /** Set by the analysis: some unreachable object's type is not one the bulk path frees. */
  sawComplex = false;
  /** A `traverse` threw: what it did not report may be reachable, so nothing is garbage. */
  traverseFailed = false;
  /**
   * Set by the sweep (update-subtract.ts) when no reference from a candidate to a candidate goes
   * against the sweep's order, or by the proof of tracking-order.ts: the candidates form no
   * cycle, so every one is reachable.
   */
  acyclic = false;
  /**
   * Set when the tracking order proved the candidates acyclic before any sweep (tracking-order.ts):
   * `acyclic` then holds too, and no gc refs word was written.
   */
  proven = false;
  /** Objects examined (the collected generations' size). */
  candidates = 0;
  /** Objects the first analysis found unreachable. */
  unreachableCount = 0;
  /** The result (see `CollectionResult` in collection.ts), set by the run's last steps. */
  collected = 0;
  uncollectable = 0;
  survivors = 0;
  freedInBulk = 0;
  /** The general walk's visitors (items, `traverse`), made on first need (reachability.ts). */
  subtractVisit: Visit | null = null;
  reachVisit: Visit | null = null;
  /** For `reachVisit`: the list being scanned, and how many it brought back to it. */
  scan = 0;
  movedBack = 0;
  /** update-subtract.ts: the scratch buffer of noted children, how many, and the general visitor. */
  later: Uint32Array;
  noted = 0;
  noteVisit: Visit | null = null;

  constructor(
    readonly space: ObjectSpace,
    readonly port: SpacePort,
    readonly table: TypeTable,
    readonly heads: WorkingHeads,
    private readonly scratch: Scratch,
  ) {
    this.later = scratch.later;
  }

  /** Starts a run of `generation`, survivors into `old`: everything a previous run learned is reset. */
  begin(generation: number, old: number, saveAll: boolean): void {
    this.generation = generation;
    this.old = old;
    this.saveAll = saveAll;
    this.sawWeakrefs = false;
    this.sawFinalizers = false;
    this.sawComplex = false;
    this.traverseFailed = false;
    this.acyclic = false;
    this.proven = false;
    this.candidates = 0;
    this.unreachableCount = 0;
    this.collected = 0;
    this.uncollectable = 0;
    this.survivors = 0;
    this.freedInBulk = 0;
    this.scan = 0;
    this.movedBack = 0;
    this.later = this.scratch.later;
    this.noted = 0;
  }

  /** After the sweep: a `later` buffer that grew large is let go (see `Scratch.trim`). */
  trimScratch(): void {
    this.scratch.trim();
    this.later = this.scratch.later;
  }

  /**
   * The `later` buffer with room for at least `entries` (the bulk path gathers the garbage in
   * it, bulk-release.ts; the collection trims it at its end). Its contents are not kept.
   */
  reserveLater(entries: number): Uint32Array {
    if (this.later.length < entries) {
      const later = new Uint32Array(entries);
      this.later = later;
      this.scratch.later = later;
    }
    return this.later;
  }

  /** Doubles the `later` buffer (kept by the collector for the next runs); returns it. */
  growLater(): Uint32Array {
    const later = new Uint32Array(this.later.length * 2);
    later.set(this.later);
    this.later = later;
    this.scratch.later = later;
    return later;
  }
}
