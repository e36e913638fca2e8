import { DoubleFreeError, Memory } from '@heapkit/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import { inUse, SMALL_MEMORY, settle } from './test-support/shared-heaps.js';

/**
 * The shared heap against a model (see `shared-heap.test.ts` for the scenarios): four allocators
 * in one memory stand for workers; fast-check picks who allocates, frees (often another's block:
 * a remote free), reallocates, reclaims, detaches or dies and is recovered.
 */

describe('model: allocators standing for workers, interleaved by fast-check', () => {
  type Op =
    | { kind: 'malloc'; heap: number; size: number }
    | { kind: 'free'; heap: number; pick: number }
    | { kind: 'realloc'; heap: number; pick: number; size: number }
    | { kind: 'reclaim'; heap: number }
    | { kind: 'replace'; heap: number; detach: boolean };
  const size = fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 600, max: 40_000 }));
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('malloc' as const), heap: fc.nat(3), size }) },
    {
      weight: 5,
      arbitrary: fc.record({ kind: fc.constant('free' as const), heap: fc.nat(3), pick: fc.nat() }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('realloc' as const), heap: fc.nat(3), pick: fc.nat(), size }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reclaim' as const), heap: fc.nat(3) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('replace' as const), heap: fc.nat(3), detach: fc.boolean() }),
    },
  );

  it('keeps every block’s data, never hands a byte out twice, validates, and ends at zero bytes in use', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 400 }), fc.boolean(), (ops, sharedBacking) => {
        const memory = new Memory({ ...SMALL_MEMORY, shared: sharedBacking });
        const heaps = Array.from({ length: 4 }, () => new ArenaAllocator({ memory, shared: true }));
        const live = new Map<number, { size: number; tag: number }>();
        let tag = 0;
        const write = (p: number, n: number): void => {
          tag = (tag % 250) + 1;
          memory.u8.fill(tag, p, p + n);
          live.set(p, { size: n, tag });
        };
        const check = (p: number): void => {
          const { size: n, tag: t } = live.get(p)!;
          for (let i = p; i < p + n; i++)
            if (memory.u8[i] !== t) throw new Error(`block ${p} lost its data at ${i}`);
        };
        const pick = (k: number): number | undefined => {
          if (live.size === 0) return undefined;
          return [...live.keys()][k % live.size];
        };
        for (const o of ops) {
          const heap = heaps[o.heap]!;
          if (o.kind === 'malloc') {
            const p = heap.malloc(o.size);
            expect(p).not.toBe(0);
            for (const [q, b] of live)
              expect(p + o.size <= q || q + b.size <= p || o.size === 0 || b.size === 0).toBe(true);
            expect(live.has(p)).toBe(false);
            write(p, o.size);
          } else if (o.kind === 'free') {
            const p = pick(o.pick);
            if (p === undefined) continue;
            check(p);
            heap.free(p);
            live.delete(p);
            expect(() => heaps[(o.heap + 1) % 4]!.free(p)).toThrow(DoubleFreeError);
          } else if (o.kind === 'realloc') {
            const p = pick(o.pick);
            if (p === undefined) continue;
            check(p);
            const { size: old, tag: t } = live.get(p)!;
            const q = heap.realloc(p, o.size);
            expect(q).not.toBe(0);
            live.delete(p);
            const kept = Math.min(old, o.size);
            for (let i = q; i < q + kept; i++) expect(memory.u8[i]).toBe(t);
            write(q, o.size);
          } else if (o.kind === 'reclaim') {
            heap.reclaim();
          } else {
            if (o.detach) heap.detach();
            const next = new ArenaAllocator({ memory, shared: true });
            if (!o.detach) next.recover(heap.heapSlot);
            heaps[o.heap] = next;
          }
        }
        for (const p of live.keys()) check(p);
        for (const h of heaps) h.validate();
        for (const [i, p] of [...live.keys()].entries()) heaps[i % 4]!.free(p);
        settle(...heaps);
        for (const h of heaps) {
          h.validate();
          expect(inUse(h)).toBe(0);
        }
      }),
      { numRuns: 40 },
    );
  });
});
