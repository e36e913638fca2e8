import {
  type AllocationObserver,
  ConfigurationError,
  DoubleFreeError,
  InvalidSizeError,
  Memory,
  type Ptr,
} from '@heapkit/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import { sharedHeaps } from './test-support/shared-heaps.js';
import { thrownBy } from './test-support/thrown-by.js';

/** An observer that logs what it is told, in order. */
class Log implements AllocationObserver {
  readonly events: string[] = [];
  allocated(ptr: Ptr, size: number): void {
    this.events.push(`+${ptr}:${size}`);
  }
  freed(ptr: Ptr): void {
    this.events.push(`-${ptr}`);
  }
}

describe('observe: malloc and free that report to an observer', () => {
  it('reports each block its malloc returns (with the size asked) and each block its free frees, in order', () => {
    const heap = new ArenaAllocator();
    const log = new Log();
    const observed = heap.observe(log);
    const p = observed.malloc(24);
    const q = observed.malloc(4000); // a large block
    observed.free(p);
    const r = observed.malloc(0);
    observed.free(q);
    expect(log.events).toEqual([`+${p}:24`, `+${q}:4000`, `-${p}`, `+${r}:0`, `-${q}`]);
    expect(heap.usableSize(r)).toBeGreaterThan(0); // the allocator's own block
    heap.validate();
  });

  it('reports nothing for calls made on the allocator itself, for free(0), a failed malloc or a bad free', () => {
    const heap = new ArenaAllocator({ memory: new Memory({ maxBytes: 2 << 20 }) });
    const log = new Log();
    const observed = heap.observe(log);
    const p = heap.malloc(64);
    heap.free(p);
    observed.free(0);
    expect(observed.malloc(64 << 20)).toBe(0); // exhausted
    const q = observed.malloc(32);
    observed.free(q);
    expect(thrownBy(() => observed.free(q))).toBeInstanceOf(DoubleFreeError);
    expect(thrownBy(() => observed.malloc(-1))).toBeInstanceOf(InvalidSizeError);
    expect(log.events).toEqual([`+${q}:32`, `-${q}`]);
    heap.validate();
  });

  it('gives each observer its own view: two observers of one allocator see their own calls', () => {
    const heap = new ArenaAllocator();
    const [a, b] = [new Log(), new Log()];
    const viaA = heap.observe(a);
    const viaB = heap.observe(b);
    const p = viaA.malloc(16);
    viaB.free(p);
    expect(a.events).toEqual([`+${p}:16`]);
    expect(b.events).toEqual([`-${p}`]);
  });

  it('works in a shared heap: a remote free is reported by the freeing allocator’s view', () => {
    const [owner, other] = sharedHeaps(2);
    const [ownerLog, otherLog] = [new Log(), new Log()];
    const p = owner!.observe(ownerLog).malloc(48);
    other!.observe(otherLog).free(p);
    expect(ownerLog.events).toEqual([`+${p}:48`]);
    expect(otherLog.events).toEqual([`-${p}`]);
    other!.reclaim();
    owner!.reclaim();
    owner!.validate();
  });

  it('checks its argument', () => {
    const heap = new ArenaAllocator();
    for (const bad of [null, undefined, 1, {}, { allocated() {} }, { allocated: 1, freed() {} }]) {
      const error = thrownBy(() => heap.observe(bad as unknown as AllocationObserver));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toMatch(/observe: expected an observer/);
    }
  });

  it('reports exactly the blocks allocated and freed through the view (property, against a set)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            through: fc.boolean(), // the view, or the allocator itself
            free: fc.boolean(),
            pick: fc.nat(),
            size: fc.integer({ min: 0, max: 3000 }),
          }),
          { maxLength: 200 },
        ),
        (steps) => {
          const heap = new ArenaAllocator();
          const live = new Map<Ptr, number>(); // what the observer's reports say is live
          const observed = heap.observe({
            allocated: (ptr, size) => {
              expect(live.has(ptr)).toBe(false);
              live.set(ptr, size);
            },
            freed: (ptr) => {
              expect(live.delete(ptr)).toBe(true);
            },
          });
          const viaView = new Map<Ptr, number>(); // the model
          const direct: Ptr[] = [];
          for (const step of steps) {
            const pool = step.through ? [...viaView.keys()] : direct;
            if (step.free && pool.length > 0) {
              const ptr = pool[step.pick % pool.length]!;
              if (step.through) {
                observed.free(ptr);
                viaView.delete(ptr);
              } else {
                heap.free(ptr);
                direct.splice(direct.indexOf(ptr), 1);
              }
            } else if (step.through) {
              viaView.set(observed.malloc(step.size), step.size);
            } else {
              direct.push(heap.malloc(step.size));
            }
            expect(live).toEqual(viaView);
          }
          heap.validate();
        },
      ),
    );
  });
});
