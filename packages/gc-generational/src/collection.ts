/**
 * One collection of generation N, as CPython's `gc_collect_main` runs it, step by step over the
 * collector's `CollectionRun`, begun afresh for it (nothing is allocated on the JS heap unless
 * user code runs or a buffer must grow):
 *
 *  1. gather: generations 0..N move to the working list `young`, youngest first, so that it reads
 *     newest first throughout and the scan of step 4 meets an object before the older ones it
 *     refers to (none is moved to `unreachable` and back for a reference from a younger
 *     generation); objects allocated while the collection runs join generation 0, not it;
 *  2. update refs: each candidate's gc refs = its refcount (first, reading only, the tracking
 *     order may prove that the candidates form no cycle: all are then reachable, and steps 2-4
 *     are skipped, writing nothing: tracking-order.ts);
 *  3. subtract refs: minus the references from candidates; what stays above 0 is referenced
 *     from outside (steps 2 and 3 run as one sweep: update-subtract.ts);
 *  4. `moveUnreachable`: whatever is not reachable from those moves to `unreachable` (when the
 *     sweep of steps 2-3 found no reference among the candidates against its order, they form
 *     no cycle and all are reachable: only their flags are cleared);
 *  5. the survivors move up a generation (and feed the long-lived heuristic);
 *  6. objects with a legacy finalizer, and all they reach, move to `finalizers`: uncollectable;
 *     if a `traverse` threw in steps 3-6, nothing is garbage: everything survives, and the
 *     collection ends here;
 *  7. weakrefs with callbacks to the garbage are cleared, and called back when not garbage;
 *  8. finalizers run (once per object, ever);
 *  9. if steps 7-8 ran user code, the analysis again on the garbage: what it resurrected
 *     survives; the rest is `still` garbage;
 * 10. every other weakref to the garbage is cleared (including those finalizers made);
 * 11. each garbage object is `clear`ed: reference counting frees it (or, when nothing about the
 *     garbage runs code, it is freed in bulk: bulk-release.ts);
 * 12. the uncollectable go to `garbage` and join the next generation.
 */
import type { Ptr } from '@heapkit/memory';
import type { ObjectSpace } from '@heapkit/refcount';
import { releaseInBulk } from './bulk-release.js';
import { DEBUG_COLLECTABLE, DEBUG_SAVEALL, DEBUG_UNCOLLECTABLE } from './debug-flags.js';
import type { DebugOutput } from './debug-output.js';
import {
  clearGarbageWeakrefs,
  finalizeGarbage,
  handleResurrected,
  handleWeakrefCallbacks,
} from './finalization.js';
import { deleteGarbage, handleLegacyFinalizers, moveLegacyFinalizers } from './garbage.js';
import { clearCollectionFlags } from './gc-head.js';
import { listInit, listMerge, listMergeFront, listSize } from './gc-lists.js';
import { moveUnreachable } from './reachability.js';
import type { CollectionRun, WorkingHeads } from './run-state.js';
import { GENERATIONS } from './settings.js';
import type { SpacePort } from './space-port.js';
import { provenAcyclic } from './tracking-order.js';
import type { TypeTable } from './type-table.js';
import { updateAndSubtract } from './update-subtract.js';

/** What a collection found (read it before the next collection begins: the run holds it). */
export interface CollectionResult {
  readonly collected: number;
  readonly uncollectable: number;
  readonly candidates: number;
  /** Survivors of the analysis (candidates minus the unreachable), for the long-lived heuristic. */
  readonly survivors: number;
  /** Objects freed by the bulk path, which does not tell the collector of each (`onFree`). */
  readonly freedInBulk: number;
}

/** What a collection works with: the collector's long-lived parts. */
export interface CollectionContext {
  readonly space: ObjectSpace;
  readonly port: SpacePort;
  readonly table: TypeTable;
  readonly heads: WorkingHeads;
  readonly generationHeads: readonly number[];
  readonly garbage: Ptr[];
  readonly output: DebugOutput;
  /** The state of a collection, reused by every one (collections never nest). */
  readonly run: CollectionRun;
}

/** Runs one collection of `generation` (see the steps above). */
export function collectGeneration(
  ctx: CollectionContext,
  generation: number,
  /** The collector's `DEBUG_*` flags. */
  debugFlags: number,
): CollectionResult {
  const { space, table, heads, generationHeads, run } = ctx;
  const old = generationHeads[Math.min(generation + 1, GENERATIONS - 1)]!;
  run.begin(generation, old, (debugFlags & DEBUG_SAVEALL) !== 0);
  table.refresh();

  // 1. gather, youngest generation first
  let u32 = space.memory.u32;
  listInit(u32, heads.young);
  for (let g = 0; g <= generation; g++) listMerge(u32, generationHeads[g]!, heads.young);

  // 2-4. the analysis, unless the tracking order proves the candidates form no cycle
  const proven = provenAcyclic(run, heads.young);
  if (proven >= 0) {
    run.candidates = proven;
    run.proven = true;
    run.acyclic = true;
    run.unreachableCount = 0;
    listInit(space.memory.u32, heads.unreachable);
  } else {
    run.candidates = updateAndSubtract(run, heads.young);
    run.trimScratch();
    analyse(run, heads);
  }
  run.survivors = run.candidates - run.unreachableCount;

  // 5. survivors up a generation (in front of the older ones: the list stays newest first)
  u32 = space.memory.u32;
  if (generation < GENERATIONS - 1) listMergeFront(u32, heads.young, old);
  else listMerge(u32, heads.young, old);

  // 6. uncollectable: legacy finalizers and what they reach
  listInit(u32, heads.finalizers);
  if (table.anyLegacy) moveLegacyFinalizers(run);
  if (run.traverseFailed) {
    u32 = space.memory.u32;
    clearCollectionFlags(u32, heads.unreachable);
    clearCollectionFlags(u32, heads.finalizers);
    listMerge(u32, heads.unreachable, old);
    listMerge(u32, heads.finalizers, old);
    run.survivors = run.candidates;
    return run;
  }

  // 7-8. user code: weakref callbacks, finalizers
  const calledBack = handleWeakrefCallbacks(run);
  const finalized = finalizeGarbage(run);
  const codeRan = calledBack || finalized;

  // 9. resurrection check (without user code since the analysis, nothing can have changed)
  listInit(space.memory.u32, heads.still);
  if (codeRan) handleResurrected(run);
  else listMerge(space.memory.u32, heads.unreachable, heads.still);

  // 10. the other weakrefs to the garbage
  run.collected =
    codeRan || run.sawWeakrefs || table.anyLegacy
      ? clearGarbageWeakrefs(run, codeRan || run.sawWeakrefs)
      : run.unreachableCount; // nothing moved in or out of the garbage since the analysis
  if ((debugFlags & DEBUG_COLLECTABLE) !== 0) ctx.output.list(heads.still, 'collectable');

  // 11. clear: reference counting frees the garbage, or the bulk path when nothing can run code
  const bulk = !run.saveAll && !codeRan && !run.sawWeakrefs && !run.sawComplex && !table.anyLegacy;
  const freedInBulk = bulk ? releaseInBulk(run) : -1;
  if (bulk) run.trimScratch(); // it gathered the garbage in the scratch buffer
  if (freedInBulk < 0) deleteGarbage(run, ctx.garbage);

  // 12. the uncollectable to `garbage`
  run.freedInBulk = Math.max(freedInBulk, 0);
  run.uncollectable = listSize(space.memory.u32, heads.finalizers);
  if ((debugFlags & DEBUG_UNCOLLECTABLE) !== 0) ctx.output.list(heads.finalizers, 'uncollectable');
  handleLegacyFinalizers(run, ctx.garbage);
  return run;
}

/** Step 4 after the sweep of steps 2-3: the unreachable, or (an acyclic sweep) only the flags to clear. */
function analyse(run: CollectionRun, heads: WorkingHeads): void {
  const u32 = run.space.memory.u32;
  if (run.acyclic) {
    listInit(u32, heads.unreachable);
    clearCollectionFlags(u32, heads.young);
    run.unreachableCount = 0;
  } else run.unreachableCount = moveUnreachable(run, heads.young, heads.unreachable);
}
