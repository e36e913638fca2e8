/**
 * Tracking: the two hooks a space calls on every allocation and deallocation of a GC object
 * (`CollectorHooks`). A new object goes first on the youngest generation's list and counts
 * towards the next automatic collection; a freed one comes off whatever list holds it.
 *
 * They run once per GC object born and once per GC object freed, so they are the collector's
 * fast path. They are prototype methods of one object (not closures made per collector), so V8
 * knows the function it calls and inlines it into the space's allocation and deallocation with
 * this module's constants folded; the list functions and the header constants are read through
 * module-local bindings for the same reason. Cost of `onAlloc`: the view, four list stores,
 * the count's increment and its threshold test; of `onFree`: the view, a link test, four list
 * stores and the count's decrement.
 */
import type { Memory, Ptr } from '@heapkit/memory';
import type { CollectorHooks } from '@heapkit/refcount/collector';
import * as layout from './gc-head.js';
import * as lists from './gc-lists.js';
import type { Scheduler } from './scheduler.js';

const { isLinked, nodeOf } = layout;
const { listPrepend, listRemove } = lists;

export class Tracker implements CollectorHooks {
  // `declare`d: a class field is first defined as undefined, and V8 then checks what it loads.
  declare private readonly memory: Memory;
  declare private readonly young: number;
  declare private readonly scheduler: Scheduler;
  declare private readonly due: () => void;

  /**
   * @param young the youngest generation's list head
   * @param due called when an allocation passes the young threshold (out of line: it may collect)
   */
  constructor(memory: Memory, young: number, scheduler: Scheduler, due: () => void) {
    this.memory = memory;
    this.young = young;
    this.scheduler = scheduler;
    this.due = due;
  }

  onAlloc(obj: Ptr): void {
    // Newest first: objects mostly refer to older ones, so a scan that meets an object before
    // what it refers to rarely has to move anything (see moveUnreachable).
    listPrepend(this.memory.u32, nodeOf(obj), this.young);
    if (this.scheduler.allocated()) this.due();
  }

  onFree(obj: Ptr): void {
    const u32 = this.memory.u32;
    const node = nodeOf(obj);
    if (!isLinked(u32, node)) return; // untracked
    listRemove(u32, node);
    this.scheduler.freed();
  }
}
