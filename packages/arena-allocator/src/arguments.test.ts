import {
  ConfigurationError,
  HeapkitError,
  InvalidPointerError,
  InvalidSizeError,
  Memory,
} from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import { LiveBlocks } from './test-support/live-blocks.js';
import { thrownBy } from './test-support/thrown-by.js';

/**
 * Strict arguments (DESIGN.md): every public constructor and method of ArenaAllocator answers a
 * wrong argument with a typed heapkit error that says what to pass, never a plain TypeError from
 * inside and never by ignoring it; and after the error the heap is untouched.
 */

describe('new ArenaAllocator(options): bad options', () => {
  it.each([
    ['a Memory instead of options', () => new Memory({ initialBytes: 65536 }), /pass it as \{ memory \}/],
    ['null', () => null, /options must be an object .* got null/],
    ['a number', () => 42, /options must be an object .* got 42/],
    ['a string', () => 'debug', /options must be an object .* got "debug" \(a string\)/],
    ['an array', () => [], /options must be an object .* got an array/],
    [
      'an unknown key',
      () => ({ arenaSzie: 1 << 20 }),
      /unknown option 'arenaSzie'; the options are memory, arenaSize/,
    ],
    ['debug: "yes"', () => ({ debug: 'yes' }), /debug must be true or false, got "yes" \(a string\)/],
    ['debug: 1', () => ({ debug: 1 }), /debug must be true or false, got 1/],
    ['memory: {}', () => ({ memory: {} }), /memory must be a Memory from @heapkit\/memory .* got an object/],
    [
      'memory: an ArrayBuffer',
      () => ({ memory: new ArrayBuffer(65536) }),
      /memory must be a Memory .* got a ArrayBuffer/,
    ],
    ['memory: null', () => ({ memory: null }), /memory must be a Memory .* got null/],
    [
      'arenaSize as a string',
      () => ({ arenaSize: '1048576' }),
      /arenaSize must be a power of two .* got "1048576" \(a string\)/,
    ],
    [
      'poolSize as a BigInt',
      () => ({ poolSize: 16384n }),
      /poolSize must be a power of two .* got 16384n \(a BigInt\)/,
    ],
    [
      'smallThreshold NaN',
      () => ({ smallThreshold: Number.NaN }),
      /smallThreshold must be a multiple of 16 .* got NaN/,
    ],
    [
      'blockCache as a string',
      () => ({ blockCache: '64' }),
      /blockCache must be 0 or a power of two .* got "64" \(a string\)/,
    ],
    ['heapStart (gone)', () => ({ heapStart: 0 }), /heapStart is gone/],
  ])('%s is a ConfigurationError saying what to pass', (_label, make, message) => {
    const error = thrownBy(() => new ArenaAllocator(make() as never));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(message);
  });

  it('leaves a shared memory untouched when the options are bad', () => {
    const memory = new Memory({ initialBytes: 65536 });
    const heap = new ArenaAllocator({ memory });
    const live = new LiveBlocks(heap);
    live.add(heap.malloc(100), 100);
    const regions = memory.regions();
    expect(() => new ArenaAllocator({ memory, debug: 'yes' } as never)).toThrow(ConfigurationError);
    expect(memory.regions()).toEqual(regions);
    live.verify();
  });
});

describe('ArenaAllocator methods: bad arguments', () => {
  const BAD_NUMBERS: unknown[] = [16n, '16', Number.NaN, 1.5, -16, undefined, null, {}, Symbol('x'), 2 ** 32];
  for (const debug of [false, true]) {
    const mode = debug ? ' (debug mode)' : '';
    for (const bad of BAD_NUMBERS) {
      const name =
        typeof bad === 'bigint'
          ? `${bad}n`
          : typeof bad === 'symbol'
            ? 'a symbol'
            : (JSON.stringify(bad) ?? String(bad));
      it(`every method answers ${name} with a typed error and keeps the heap${mode}`, () => {
        const heap = new ArenaAllocator({ debug });
        const live = new LiveBlocks(heap);
        const p = heap.malloc(64);
        live.add(p, 64);
        live.add(heap.malloc(5000), 5000);
        const calls: Array<[string, () => unknown, typeof InvalidSizeError | typeof InvalidPointerError]> = [
          ['malloc', () => heap.malloc(bad as never), InvalidSizeError],
          ['calloc(bad, 1)', () => heap.calloc(bad as never, 1), InvalidSizeError],
          ['calloc(1, bad)', () => heap.calloc(1, bad as never), InvalidSizeError],
          ['realloc(p, bad)', () => heap.realloc(p, bad as never), InvalidSizeError],
          ['realloc(bad, 16)', () => heap.realloc(bad as never, 16), InvalidPointerError],
          ['free', () => heap.free(bad as never), InvalidPointerError],
          ['usableSize', () => heap.usableSize(bad as never), InvalidPointerError],
        ];
        for (const [label, call, type] of calls) {
          // 2^32 is a well-formed size too big to ever fit: malloc returns 0 for it, as C does.
          if (bad === 2 ** 32 && type === InvalidSizeError) {
            if (label !== 'calloc(bad, 1)' && label !== 'calloc(1, bad)') expect(call()).toBe(0);
            continue;
          }
          const error = thrownBy(call);
          expect(error, label).toBeInstanceOf(type);
          expect(error, label).toBeInstanceOf(HeapkitError);
          expect(error.message, label).toMatch(
            /an integer from 0 to 2\^32-1 was expected|must be a non-negative integer/,
          );
        }
        live.verify();
        heap.validate();
      });
    }
  }
});

describe('stale views', () => {
  it("a pointer beyond this Memory's views (grown through another Memory of a shared backing) re-creates them first", () => {
    const backing = new WebAssembly.Memory({ initial: 16, maximum: 1024, shared: true });
    const here = new Memory({ buffer: backing, maxBytes: 1024 * 65536 });
    const there = new Memory({ buffer: backing, maxBytes: 1024 * 65536 }); // as another worker would
    const mine = new ArenaAllocator({ memory: here });
    const theirs = new ArenaAllocator({ memory: there });
    const p = mine.malloc(100);
    theirs.malloc(8 << 20); // grows the shared memory; `here`'s views are now too short
    const q = theirs.malloc(100_000);
    expect(q).toBeGreaterThanOrEqual(here.byteLength);
    const before = here.byteLength;
    for (const call of [() => mine.free(q), () => mine.usableSize(q), () => mine.realloc(q, 10)]) {
      // Its name was registered through the other Memory, as in another worker.
      expect(call).toThrow(
        new RegExp(
          `of owner ${theirs.owner} \\(registered in another thread or a WASM module\\), not a region of this`,
        ),
      );
    }
    expect(here.byteLength).toBe(there.byteLength);
    expect(here.byteLength).toBeGreaterThan(before);
    expect(here.u8.length).toBe(here.byteLength);
    mine.free(p);
    mine.validate();
    theirs.validate();
  });
});
