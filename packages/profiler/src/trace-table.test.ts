import { ArenaAllocator } from '@heapkit/arena-allocator';
import { type Allocator, Memory, type Ptr } from '@heapkit/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Profiler } from './profiler.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';
import { TraceTable } from './trace-table.js';

/**
 * Keys: 16-byte-aligned pointers that share pages and granules' neighbours, pointers far apart
 * (a directory that grows, up to the top of the 32-bit space), and unaligned ones (the side map).
 */
const key = fc.oneof(
  fc.integer({ min: 1, max: 4096 }).map((g) => g * 16),
  fc.integer({ min: 1, max: 0xffff_fff0 >>> 4 }).map((g) => (g * 16) >>> 0),
  fc.integer({ min: 1, max: 0xffff_ffff }),
);
/** Sizes and traceback ids that fit a packed word, and ones that do not. */
const size = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0x10000, max: 0xffff_ffff }));
const traceback = fc.oneof(fc.integer({ min: 0, max: 0xfffd }), fc.integer({ min: 0xfffe, max: 1e7 }));

describe('TraceTable against a Map (property)', () => {
  it('reuses the page of a range whose last trace went (a few live traces keep a few pages)', () => {
    const table = new TraceTable();
    const empty = table.byteSize();
    for (let i = 0; i < 1000; i++) {
      const p = 16 * (1 + ((i * 7919) % 16383)); // somewhere in the first 256 KiB: 64 ranges
      expect(table.insert(p, 32, i)).toBe(-1);
      expect(table.tracebackOf(p)).toBe(i);
      expect(table.remove(p)).toBe(32);
      expect(table.tracebackOf(p)).toBe(-1);
    }
    expect(table.byteSize()).toBe(empty); // one page, reused: the store never grew
    expect(table.count).toBe(0);
    expect(table.mayHold(16)).toBe(false); // the page was released: the directory says so
  });

  for (const release of [true, false])
    it(`inserts, replaces, removes, looks up, visits and clears like a Map, packed words and side map alike (pages released: ${release})`, () => {
      const ops = fc.array(
        fc.tuple(fc.constantFrom('set', 'set', 'delete', 'delete', 'clear'), key, size, traceback),
        { minLength: 1, maxLength: 600 },
      );
      fc.assert(
        fc.property(ops, (list) => {
          const table = new TraceTable(release);
          const model = new Map<number, [number, number]>();
          const keys: number[] = [];
          for (const [kind, fresh, s, tb] of list) {
            // Half of the deletes and sets hit a key already used, so they find something.
            const k = keys.length > 0 && (fresh & 1) === 0 ? keys[fresh % keys.length]! : fresh;
            keys.push(k);
            const old = model.get(k);
            if (kind === 'set') {
              expect(table.insert(k, s, tb)).toBe(old === undefined ? -1 : old[0]);
              model.set(k, [s, tb]);
            } else if (kind === 'delete') {
              expect(table.remove(k)).toBe(old === undefined ? -1 : old[0]);
              model.delete(k);
            } else if (model.size > 100) {
              table.clear();
              model.clear();
            }
            expect(table.tracebackOf(k)).toBe(model.get(k)?.[1] ?? -1);
            if (model.has(k)) expect(table.mayHold(k)).toBe(true); // never a false "certainly absent"
            expect(table.count).toBe(model.size);
          }
          const seen = new Map<number, [number, number]>();
          table.forEach((ptr, s, tb) => {
            expect(seen.has(ptr)).toBe(false);
            seen.set(ptr, [s, tb]);
          });
          expect(seen).toEqual(model);
          for (const [k, [, tb]] of model) expect(table.tracebackOf(k)).toBe(tb);
        }),
        { numRuns: 200 },
      );
    });

  it('holds a 1 KiB page per 4 KiB of traced addresses (room doubling), and nothing after clear', () => {
    const table = new TraceTable();
    const empty = table.byteSize();
    for (let p = 16; p < 64 * 1024; p += 16) table.insert(p, 8, 1);
    // 16 pages of 256 words, in a store that doubles as it fills
    expect(table.byteSize() - empty).toBeGreaterThanOrEqual(16 * 1024);
    expect(table.byteSize() - empty).toBeLessThanOrEqual(2 * 17 * 1024);
    expect(table.count).toBe((64 * 1024) / 16 - 1);
    table.clear();
    expect(table.byteSize()).toBe(empty);
    expect(table.count).toBe(0);
    expect(table.tracebackOf(16)).toBe(-1);
  });

  it('covers a memory: its directory reaches every address below it (4 bytes per 4 KiB), through clear too', () => {
    const table = new TraceTable();
    const empty = table.byteSize();
    const directoryBytes = ((64 * 1024 * 1024) / 4096) * 4; // 64 KiB for 64 MiB
    table.cover(64 * 1024 * 1024);
    expect(table.byteSize() - empty).toBeGreaterThan(directoryBytes - 1024); // (less what it had)
    expect(table.byteSize() - empty).toBeLessThanOrEqual(directoryBytes);
    expect(table.mayHold(64 * 1024 * 1024 - 16)).toBe(false); // in bounds, no page: certainly absent
    table.insert(32 * 1024 * 1024, 8, 1);
    expect(table.mayHold(32 * 1024 * 1024)).toBe(true);
    table.clear();
    expect(table.mayHold(32 * 1024 * 1024)).toBe(false);
    expect(table.byteSize() - empty).toBeGreaterThan(directoryBytes - 1024); // still covered
  });
});

/**
 * An allocator whose blocks start at any byte (not 16-byte aligned) and may be huge (sizes over
 * 64 KiB are recorded but not backed by memory): the profiler's side map, end to end.
 */
class OddAllocator implements Allocator {
  readonly memory = new Memory({ initialBytes: 65536 });
  private next = 1;
  private readonly sizes = new Map<Ptr, number>();
  malloc(size: number): Ptr {
    const p = this.next;
    this.next += (size % 4096) + 1 + (p % 5);
    this.sizes.set(p, size);
    return p;
  }
  calloc(count: number, size: number): Ptr {
    return this.malloc(count * size);
  }
  realloc(ptr: Ptr, size: number): Ptr {
    if (ptr !== 0) this.free(ptr);
    return this.malloc(size);
  }
  free(ptr: Ptr): void {
    if (ptr !== 0 && !this.sizes.delete(ptr)) throw new Error(`bad free ${ptr}`);
  }
  usableSize(ptr: Ptr): number {
    return this.sizes.get(ptr) ?? 0;
  }
}

describe('Profiler traces against a Map model (property)', () => {
  type Op = { kind: 'malloc' | 'free' | 'realloc'; pick: number; size: number; line: number };
  const opArb: fc.Arbitrary<Op> = fc.record({
    kind: fc.constantFrom('malloc', 'malloc', 'free', 'realloc'),
    pick: fc.nat(),
    size: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0x10000, max: 300_000 })),
    line: fc.integer({ min: 1, max: 5 }),
  });

  for (const [name, make] of [
    ['an ArenaAllocator (16-byte aligned)', () => new ArenaAllocator()],
    ['an allocator of unaligned blocks', () => new OddAllocator()],
  ] as const) {
    it(`getTracedMemory, statistics and getObjectTraceback over ${name}`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 300 }), (ops) => {
          const stack = new RuntimeFrameStack();
          const profiler = new Profiler({ frameSource: stack });
          const heap = profiler.wrap(make());
          stack.push(stack.registerFile('m.py'), 1);
          profiler.start();
          const model = new Map<number, [size: number, line: number]>();
          let current = 0;
          let peak = 0;
          for (const o of ops) {
            stack.setLine(o.line);
            const ptrs = [...model.keys()];
            if (o.kind === 'malloc' || ptrs.length === 0) {
              const p = heap.malloc(o.size);
              if (p === 0) continue;
              model.set(p, [o.size, o.line]);
              current += o.size;
            } else {
              const p = ptrs[o.pick % ptrs.length]!;
              current -= model.get(p)![0];
              model.delete(p);
              if (o.kind === 'free') {
                heap.free(p);
              } else {
                const q = heap.realloc(p, o.size);
                expect(q).not.toBe(0);
                model.set(q, [o.size, o.line]);
                current += o.size;
              }
            }
            peak = Math.max(peak, current);
            expect(profiler.getTracedMemory()).toEqual([current, peak]);
          }
          for (const [p, [, line]] of model) {
            expect(profiler.getObjectTraceback(p)!.frames[0]!.lineno).toBe(line);
          }
          const byLine = new Map<number, [number, number]>();
          for (const [s, line] of model.values()) {
            const e = byLine.get(line) ?? [0, 0];
            byLine.set(line, [e[0] + s, e[1] + 1]);
          }
          const stats = profiler.takeSnapshot().statistics('lineno');
          expect(new Map(stats.map((s) => [s.traceback.frames[0]!.lineno, [s.size, s.count]]))).toEqual(
            byLine,
          );
          profiler.stop();
        }),
        { numRuns: 60 },
      );
    });
  }
});
