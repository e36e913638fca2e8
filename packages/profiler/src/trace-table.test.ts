import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TraceTable } from './trace-table.js';

describe('TraceTable against a Map (property)', () => {
  it('finds, inserts, overwrites and removes like a Map, through growth and dense probe runs', () => {
    const ops = fc.array(
      fc.tuple(
        fc.constantFrom('set', 'delete', 'delete', 'clear'),
        fc.integer({ min: 1, max: 3000 }),
        fc.nat(1e6),
      ),
      { minLength: 200, maxLength: 4000, size: 'max' },
    );
    fc.assert(
      fc.property(ops, (list) => {
        const table = new TraceTable();
        const model = new Map<number, [number, number, number]>();
        for (const [kind, key, value] of list) {
          if (kind === 'set') {
            const old = model.get(key);
            const replaced = table.insert(key, value, value >>> 3, 1 + (value % 7));
            expect(replaced).toBe(old === undefined ? 0 : old[0] * old[2]);
            expect(table.keyAt(table.find(key))).toBe(key);
            model.set(key, [value, value >>> 3, 1 + (value % 7)]);
          } else if (kind === 'delete') {
            const slot = table.find(key);
            expect(slot >= 0).toBe(model.has(key));
            if (slot >= 0) table.removeAt(slot);
            model.delete(key);
          } else if (model.size > 2000) {
            table.clear();
            model.clear();
          }
        }
        expect(table.count).toBe(model.size);
        if (model.size === 0) expect(table.mayHold(1 + (list.length % 3000))).toBe(false);
        for (const [key, [size, tb, weight]] of model) {
          const slot = table.find(key);
          expect(slot, `key ${key}`).toBeGreaterThanOrEqual(0);
          expect(table.mayHold(key)).toBe(true); // never a false "certainly absent"
          expect([table.sizeAt(slot), table.tracebackAt(slot), table.weightAt(slot)]).toEqual([
            size,
            tb,
            weight,
          ]);
        }
        let occupied = 0;
        for (let slot = 0; slot < table.capacity; slot++) if (table.keyAt(slot) !== 0) occupied++;
        expect(occupied).toBe(model.size);
        expect(table.byteSize()).toBe(table.capacity * 16);
        expect(table.count * 2).toBeLessThanOrEqual(table.capacity);
      }),
      { numRuns: 60 },
    );
  });
});
