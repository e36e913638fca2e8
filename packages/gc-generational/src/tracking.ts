/**
 * Tracking: the two hooks a space calls on every allocation and deallocation of a GC object
 * (`CollectorHooks`). A new object goes first on the youngest generation's list and counts
 * towards the next automatic collection; a freed one comes off whatever list holds it.
 *
 * They run once per GC object born and once per GC object freed, so they are the collector's
 * fast path. They are prototype methods of one object (not closures made per collector), so V8
 * knows the function it calls and inlines it into the space's allocation and deallocation with
 * this module's constants folded; the list functions and the header constants are read through
 * module-local bindings for the same reason. Cost of `onAlloc`: the view, four list stores, the
 * tracking order's store and increment (tracking-order.ts), the count's increment and its
 * threshold test; of `onFree`: the view, a link test, four list stores and the count's decrement.
 */
import type { Memory, Ptr } from '@heapkit/memory';
import type { CollectorHooks } from '@heapkit/refcount/collector';
import * as layout from './gc-head.js';
import * as lists from './gc-lists.js';
import type { Scheduler } from './scheduler.js';
import { MAX_ORDER, renumber } from './tracking-order.js';

const { GC_ORDER, isLinked, nodeOf } = layout;
const { listPrepend, listRemove } = lists;

export class Tracker implements CollectorHooks {
  // `declare`d: a class field is first defined as undefined, and V8 then checks what it loads.
  declare private readonly memory: Memory;
  declare private readonly young: number;
  declare private readonly scheduler: Scheduler;
  declare private readonly due: () => void;
  /** Every list a tracked object can be on, oldest first (for {@link renumber}). */
  declare private readonly lists: readonly number[];
  /** The tracking order number the next tracked object gets (tracking-order.ts). */
  declare private order: number;

  /**
   * @param lists every list a tracked object can be on, oldest first; the last is the youngest
   *   generation, where new objects go
   * @param due called when an allocation passes the young threshold (out of line: it may collect)
   */
  constructor(memory: Memory, lists: readonly number[], scheduler: Scheduler, due: () => void) {
    this.memory = memory;
    this.lists = lists;
    this.young = lists[lists.length - 1]!;
    this.scheduler = scheduler;
    this.due = due;
    this.order = 1;
  }

  onAlloc(obj: Ptr): void {
    // Newest first: objects mostly refer to older ones, so a scan that meets an object before
    // what it refers to rarely has to move anything (see moveUnreachable).
    const u32 = this.memory.u32;
    const node = nodeOf(obj);
    listPrepend(u32, node, this.young);
    this.number(u32, node);
    if (this.scheduler.allocated()) this.due();
  }

  /** `track`: an untracked object joins the youngest generation, numbered as a new one. */
  track(obj: Ptr): void {
    const u32 = this.memory.u32;
    const node = nodeOf(obj);
    if (isLinked(u32, node)) return;
    listPrepend(u32, node, this.young);
    this.number(u32, node);
  }

  /**
   * Gives `node`, just linked, the next tracking order number. When the numbers have run out,
   * every tracked object (`node` too) is numbered again instead, oldest first.
   */
  private number(u32: Uint32Array, node: number): void {
    const order = this.order;
    if (order === MAX_ORDER) {
      this.order = renumber(u32, this.lists);
      return;
    }
    u32[(node >>> 2) + GC_ORDER] = order;
    this.order = order + 1;
  }

  /** @internal For tests: the number the next tracked object gets. */
  get nextOrder(): number {
    return this.order;
  }

  /** @internal For tests: sets the number the next tracked object gets (1 .. MAX_ORDER). */
  set nextOrder(order: number) {
    this.order = order;
  }

  onFree(obj: Ptr): void {
    const u32 = this.memory.u32;
    const node = nodeOf(obj);
    if (!isLinked(u32, node)) return; // untracked
    listRemove(u32, node);
    this.scheduler.freed();
  }
}
