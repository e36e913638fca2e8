/**
 * Model-based test: random sequences of allocations, frees, reallocs, guest calls and returns,
 * line changes, clearTraces and resetPeak run through a traced ArenaAllocator (frames from a
 * RuntimeFrameStack, so tracebacks are known), next to a naive model: a Map from pointer to
 * (size, frames). Guest calls name a function or none. After every step the traced memory and peak match the model; at random points
 * a snapshot's traces, its statistics for every key type (cumulative too) and its comparison
 * with the previous snapshot match what the model computes by brute force.
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyType } from './group.js';
import { Profiler } from './profiler.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';
import type { Snapshot } from './snapshot.js';

const FILES = ['main.py', 'lib/util.py', 'lib/io.py'] as const;
/** Guest function names; a call may also name none (index FUNCTIONS.length). */
const FUNCTIONS = ['main', 'read', 'lib/io.py'] as const;

/** A model frame: file, line, function name (undefined: not known). */
type ModelFrame = [string, number, string | undefined];

type Op =
  | { kind: 'malloc'; size: number }
  | { kind: 'calloc'; count: number; size: number }
  | { kind: 'realloc'; pick: number; size: number }
  | { kind: 'free'; pick: number }
  | { kind: 'call'; file: number; line: number; func: number }
  | { kind: 'line'; line: number }
  | { kind: 'return' }
  | { kind: 'clear' }
  | { kind: 'resetPeak' }
  | { kind: 'snapshot' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 60,
    arbitrary: fc.record({ kind: fc.constant('malloc' as const), size: fc.integer({ min: 0, max: 2000 }) }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('calloc' as const),
      count: fc.integer({ min: 0, max: 8 }),
      size: fc.integer({ min: 0, max: 64 }),
    }),
  },
  {
    weight: 20,
    arbitrary: fc.record({
      kind: fc.constant('realloc' as const),
      pick: fc.nat(),
      size: fc.integer({ min: 0, max: 3000 }),
    }),
  },
  { weight: 50, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
  {
    weight: 20,
    arbitrary: fc.record({
      kind: fc.constant('call' as const),
      file: fc.integer({ min: 0, max: FILES.length - 1 }),
      line: fc.integer({ min: 1, max: 4 }),
      func: fc.integer({ min: 0, max: FUNCTIONS.length }),
    }),
  },
  {
    weight: 20,
    arbitrary: fc.record({ kind: fc.constant('line' as const), line: fc.integer({ min: 1, max: 4 }) }),
  },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('return' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('resetPeak' as const) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('snapshot' as const) }) },
);

/** A live block in the model: its size and its frames, most recent first, cut to nframe. */
interface ModelBlock {
  size: number;
  frames: ModelFrame[];
  total: number;
}

type Totals = Map<string, { size: number; count: number }>;

/** Brute-force grouping of the model's blocks, keyed like Traceback.key (oldest frame first). */
function modelStats(blocks: Iterable<ModelBlock>, keyType: KeyType, cumulative: boolean): Totals {
  const out: Totals = new Map();
  const add = (frames: ModelFrame[], size: number): void => {
    const key = [...frames]
      .reverse()
      .map(([f, l, fn]) => `${l}\u0000${f}\u0000${fn ?? ''}`)
      .join('\u0001');
    const entry = out.get(key) ?? { size: 0, count: 0 };
    entry.size += size;
    entry.count += 1;
    out.set(key, entry);
  };
  for (const b of blocks) {
    if (keyType === 'traceback') add(b.frames, b.size);
    else {
      const frames = cumulative ? b.frames : b.frames.slice(0, 1);
      for (const [f, l, fn] of frames) {
        if (keyType === 'filename') add([[f, 0, undefined]], b.size);
        else if (keyType === 'function') add([[f, 0, fn]], b.size);
        else add([[f, l, fn]], b.size);
      }
    }
  }
  return out;
}

function snapshotTotals(snapshot: Snapshot, keyType: KeyType, cumulative: boolean): Totals {
  const out: Totals = new Map();
  for (const s of snapshot.statistics(keyType, cumulative))
    out.set(s.traceback.key, { size: s.size, count: s.count });
  return out;
}

function checkSorted(snapshot: Snapshot, keyType: KeyType, cumulative: boolean): void {
  const stats = snapshot.statistics(keyType, cumulative);
  for (let i = 1; i < stats.length; i++) {
    const a = stats[i - 1]!;
    const b = stats[i]!;
    expect(a.size > b.size || (a.size === b.size && a.count >= b.count)).toBe(true);
  }
}

const GROUPINGS: [KeyType, boolean][] = [
  ['filename', false],
  ['lineno', false],
  ['traceback', false],
  ['filename', true],
  ['lineno', true],
  ['function', false],
  ['function', true],
];

describe('Profiler against a naive model (property)', () => {
  it('traced memory, peak, traces, statistics and compareTo match the model', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(op, { minLength: 1, maxLength: 400, size: 'max' }),
        (nframe, ops) => {
          const stack = new RuntimeFrameStack();
          const profiler = new Profiler({ frameSource: stack });
          const heap = profiler.wrap(new ArenaAllocator());
          const fileIds = FILES.map((f) => stack.registerFile(f));
          const functionIds = [...FUNCTIONS.map((f) => stack.registerFunction(f)), -1];
          // the model's view of the stack: (file index, line, function index)
          const guest: [number, number, number][] = [];
          const model = new Map<number, ModelBlock>();
          let current = 0;
          let peak = 0;
          let previous: { snapshot: Snapshot; blocks: ModelBlock[] } | null = null;
          profiler.start(nframe);

          const framesNow = (): ModelBlock => {
            const frames: ModelFrame[] = [];
            for (let i = guest.length - 1; i >= 0 && frames.length < nframe; i--) {
              const [file, line, func] = guest[i]!;
              frames.push([FILES[file]!, line, FUNCTIONS[func]]);
            }
            if (frames.length === 0) frames.push(['<unknown>', 0, undefined]);
            return { size: 0, frames, total: Math.max(guest.length, 1) };
          };
          const add = (ptr: number, size: number): void => {
            model.set(ptr, { ...framesNow(), size });
            current += size;
            peak = Math.max(peak, current);
          };
          const live = (): number[] => [...model.keys()];

          for (const o of ops) {
            switch (o.kind) {
              case 'malloc':
                add(heap.malloc(o.size), o.size);
                break;
              case 'calloc':
                add(heap.calloc(o.count, o.size), o.count * o.size);
                break;
              case 'realloc': {
                const ptrs = live();
                if (ptrs.length === 0) break;
                const p = ptrs[o.pick % ptrs.length]!;
                const q = heap.realloc(p, o.size);
                current -= model.get(p)!.size;
                model.delete(p);
                add(q, o.size);
                break;
              }
              case 'free': {
                const ptrs = live();
                if (ptrs.length === 0) break;
                const p = ptrs[o.pick % ptrs.length]!;
                heap.free(p);
                current -= model.get(p)!.size;
                model.delete(p);
                break;
              }
              case 'call':
                if (o.func === FUNCTIONS.length) stack.push(fileIds[o.file]!, o.line);
                else stack.push(fileIds[o.file]!, o.line, functionIds[o.func]!);
                guest.push([o.file, o.line, o.func]);
                break;
              case 'line':
                if (guest.length === 0) break;
                stack.setLine(o.line);
                guest[guest.length - 1]![1] = o.line;
                break;
              case 'return':
                if (guest.length === 0) break;
                stack.pop();
                guest.pop();
                break;
              case 'clear':
                profiler.clearTraces();
                model.clear(); // the blocks stay allocated, untraced; freeing them later changes nothing
                current = 0;
                peak = 0;
                previous = null;
                break;
              case 'resetPeak':
                profiler.resetPeak();
                peak = current;
                break;
              case 'snapshot': {
                const snapshot = profiler.takeSnapshot();
                const blocks = [...model.values()];
                // traces: the same multiset of (size, frames, total)
                const got = snapshot.traces
                  .map((t) => `${t.size}|${t.traceback.totalNframe}|${t.traceback.key}`)
                  .sort();
                const want = blocks
                  .map(
                    (b) => `${b.size}|${b.total}|${modelStats([b], 'traceback', false).keys().next().value}`,
                  )
                  .sort();
                expect(got).toEqual(want);
                for (const [keyType, cumulative] of GROUPINGS) {
                  expect(snapshotTotals(snapshot, keyType, cumulative)).toEqual(
                    modelStats(blocks, keyType, cumulative),
                  );
                  checkSorted(snapshot, keyType, cumulative);
                }
                if (previous !== null) {
                  for (const [keyType, cumulative] of GROUPINGS) {
                    const now = modelStats(blocks, keyType, cumulative);
                    const before = modelStats(previous.blocks, keyType, cumulative);
                    const want = new Map<string, number[]>();
                    for (const [k, v] of now) {
                      const b = before.get(k) ?? { size: 0, count: 0 };
                      want.set(k, [v.size, v.size - b.size, v.count, v.count - b.count]);
                    }
                    for (const [k, b] of before) if (!now.has(k)) want.set(k, [0, -b.size, 0, -b.count]);
                    const diffs = snapshot.compareTo(previous.snapshot, keyType, cumulative);
                    const gotDiff = new Map(
                      diffs.map((d) => [d.traceback.key, [d.size, d.sizeDiff, d.count, d.countDiff]]),
                    );
                    expect(gotDiff).toEqual(want);
                    for (let i = 1; i < diffs.length; i++) {
                      expect(Math.abs(diffs[i - 1]!.sizeDiff)).toBeGreaterThanOrEqual(
                        Math.abs(diffs[i]!.sizeDiff),
                      );
                    }
                  }
                }
                previous = { snapshot, blocks };
                break;
              }
            }
            expect(profiler.getTracedMemory()).toEqual([current, peak]);
            for (const [ptr, block] of model) {
              // spot-check one block per step: its traceback is the model's
              expect(
                profiler
                  .getObjectTraceback(ptr)!
                  .frames.map((f) => [f.filename, f.lineno, f.functionName])
                  .reverse(),
              ).toEqual(block.frames);
              break;
            }
          }
          profiler.stop();
        },
      ),
      { numRuns: 150 },
    );
  });
});
