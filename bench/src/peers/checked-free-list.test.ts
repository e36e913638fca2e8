import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckedFreeList } from './checked-free-list.js';

/** The checked-free-list peer is only a fair limit if it is correct: a model test and its checks. */
describe('CheckedFreeList', () => {
  it('hands out disjoint 16-byte aligned blocks that keep their data, against a model', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 1, max: 512 }), fc.constant(-1)), { maxLength: 400 }),
        (ops) => {
          const list = new CheckedFreeList(4 << 20);
          const bytes = new Uint8Array(list.u32.buffer);
          const live: { p: number; size: number; tag: number }[] = [];
          ops.forEach((op, i) => {
            if (op === -1) {
              if (live.length === 0) return;
              const [b] = live.splice(i % live.length, 1);
              expect(bytes.subarray(b!.p, b!.p + b!.size).every((x) => x === b!.tag)).toBe(true);
              list.free(b!.p);
              return;
            }
            const p = list.malloc(op);
            expect(p % 16).toBe(0);
            expect(p).toBeGreaterThan(0);
            for (const b of live) expect(p + op <= b.p || b.p + b.size <= p).toBe(true);
            const tag = (i % 255) + 1;
            bytes.fill(tag, p, p + op);
            live.push({ p, size: op, tag });
          });
          for (const b of live)
            expect(bytes.subarray(b.p, b.p + b.size).every((x) => x === b.tag)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses double, invalid and foreign frees, changing nothing', () => {
    const list = new CheckedFreeList(1 << 20);
    const p = list.malloc(100);
    const q = list.malloc(100);
    list.free(p);
    for (const bad of [p, q + 16, q + 1, 0, 1 << 20, -16, 1.5, '16', 16n]) {
      expect(() => list.free(bad as number)).toThrow(/not a live block/);
    }
    list.free(q);
    expect(list.malloc(100)).toBe(q); // last in, first out: nothing was disturbed
    expect(list.malloc(100)).toBe(p);
  });
});
