import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, HeapkitError, InvalidSizeError } from './errors.js';
import { DEFAULT_INITIAL_BYTES, Memory, type MemoryBacking, PAGE_BYTES } from './memory.js';
import { MAX_MEMORY_BYTES } from './ptr.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Checks that every view covers exactly the current memory and shares its buffer. */
function expectViewsCoverMemory(memory: Memory): void {
  const n = memory.byteLength;
  expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(n);
  for (const view of [memory.u8, memory.i32, memory.u32, memory.f64, memory.view]) {
    expect(view.buffer).toBe(memory.buffer);
    expect(view.byteOffset).toBe(0);
  }
  expect(memory.u8.length).toBe(n);
  expect(memory.i32.length).toBe(n >>> 2);
  expect(memory.u32.length).toBe(n >>> 2);
  expect(memory.f64.length).toBe(Math.floor(n / 8));
  expect(memory.view.byteLength).toBe(n);
}

describe('Memory: default backing', () => {
  it('is a non-shared WebAssembly.Memory of 16 MiB that may grow to 4 GiB', () => {
    const memory = new Memory();
    expect(memory.wasmMemory).toBeInstanceOf(WebAssembly.Memory);
    expect(memory.buffer).toBe(memory.wasmMemory!.buffer);
    expect(memory.buffer).toBeInstanceOf(ArrayBuffer);
    expect(memory.shared).toBe(false);
    expect(DEFAULT_INITIAL_BYTES).toBe(16 * MiB);
    expect(memory.byteLength).toBe(DEFAULT_INITIAL_BYTES);
    expect(memory.maxBytes).toBe(MAX_MEMORY_BYTES);
    expectViewsCoverMemory(memory);
  });

  it('starts at maxBytes (in whole pages) when that is below the default, so it never grows', () => {
    const memory = new Memory({ maxBytes: 2 * MiB + 100 });
    expect(memory.byteLength).toBe(2 * MiB);
    expect(memory.maxBytes).toBe(2 * MiB);
    expect(memory.growTo(2 * MiB + PAGE_BYTES)).toBe(false);
    expect(new Memory({ maxBytes: PAGE_BYTES, shared: true }).byteLength).toBe(PAGE_BYTES);
  });

  it('takes initialBytes below the default as given (rounded up to pages)', () => {
    expect(new Memory({ initialBytes: 1 }).byteLength).toBe(PAGE_BYTES);
    expect(new Memory({ initialBytes: MiB }).byteLength).toBe(MiB);
  });

  it('starts zeroed, and its views alias the same little-endian bytes', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES });
    expect(memory.u8.every((b) => b === 0)).toBe(true);
    memory.u32[1] = 0xdeadbeef;
    expect(Array.from(memory.u8.subarray(4, 8))).toEqual([0xef, 0xbe, 0xad, 0xde]);
    expect(memory.i32[1]).toBe(0xdeadbeef | 0);
    expect(memory.view.getUint32(4, true)).toBe(0xdeadbeef);
    memory.f64[2] = 1.5;
    expect(memory.view.getFloat64(16, true)).toBe(1.5);
    // A write through the WebAssembly.Memory's own buffer is visible too: it is the same memory.
    new Uint8Array(memory.wasmMemory!.buffer)[100] = 7;
    expect(memory.u8[100]).toBe(7);
  });

  it.each([
    [0, 0],
    [1, PAGE_BYTES],
    [PAGE_BYTES - 1, PAGE_BYTES],
    [PAGE_BYTES, PAGE_BYTES],
    [PAGE_BYTES + 1, 2 * PAGE_BYTES],
    [100_000, 2 * PAGE_BYTES],
    [3 * PAGE_BYTES, 3 * PAGE_BYTES],
  ])('rounds initialBytes %i up to %i (whole 64 KiB pages)', (initialBytes, expected) => {
    const memory = new Memory({ initialBytes });
    expect(memory.byteLength).toBe(expected);
    expect(memory.wasmMemory!.buffer.byteLength).toBe(expected);
    expectViewsCoverMemory(memory);
  });

  it('rounds maxBytes down to whole pages', () => {
    const memory = new Memory({ initialBytes: 0, maxBytes: 3 * PAGE_BYTES + 100 });
    expect(memory.maxBytes).toBe(3 * PAGE_BYTES);
    expect(memory.growTo(3 * PAGE_BYTES)).toBe(true);
    expect(memory.growTo(3 * PAGE_BYTES + 1)).toBe(false);
    expect(memory.byteLength).toBe(3 * PAGE_BYTES);
  });

  it('accepts initialBytes equal to maxBytes', () => {
    const memory = new Memory({ initialBytes: 2 * PAGE_BYTES, maxBytes: 2 * PAGE_BYTES });
    expect(memory.byteLength).toBe(2 * PAGE_BYTES);
    expect(memory.growTo(2 * PAGE_BYTES + 1)).toBe(false);
  });
});

describe('Memory.growTo', () => {
  it('grows to whole pages and re-creates every view over the new length', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES, maxBytes: 16 * PAGE_BYTES });
    const before = { u8: memory.u8, i32: memory.i32, u32: memory.u32, f64: memory.f64, view: memory.view };
    expect(memory.growTo(2 * PAGE_BYTES + 1)).toBe(true);
    expect(memory.byteLength).toBe(3 * PAGE_BYTES);
    expect(memory.wasmMemory!.buffer.byteLength).toBe(3 * PAGE_BYTES);
    // (Identity compared directly: the old views are detached, and matchers would try to print them.)
    expect(memory.u8 === before.u8).toBe(false);
    expect(memory.i32 === before.i32).toBe(false);
    expect(memory.u32 === before.u32).toBe(false);
    expect(memory.f64 === before.f64).toBe(false);
    expect(memory.view === before.view).toBe(false);
    expectViewsCoverMemory(memory);
    // The last byte of the new memory is reachable through the new views.
    memory.u8[3 * PAGE_BYTES - 1] = 9;
    expect(memory.view.getUint8(3 * PAGE_BYTES - 1)).toBe(9);
  });

  it('keeps every byte written before the grow', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES, maxBytes: 16 * PAGE_BYTES });
    const end = PAGE_BYTES - 8; // the last 8 bytes hold a float
    for (let i = 0; i < end; i += 4) memory.u32[i >>> 2] = (i * 2654435761) >>> 0;
    memory.f64[end >>> 3] = Math.PI;
    expect(memory.growTo(8 * PAGE_BYTES)).toBe(true);
    for (let i = 0; i < end; i += 4) {
      if (memory.u32[i >>> 2] !== (i * 2654435761) >>> 0) throw new Error(`byte ${i} lost in the grow`);
    }
    expect(memory.f64[end >>> 3]).toBe(Math.PI);
    // Memory beyond the old end is zeroed.
    expect(memory.u8.subarray(PAGE_BYTES).every((b) => b === 0)).toBe(true);
  });

  it('leaves a view kept in a local from before the grow stale (detached)', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES });
    const stale = memory.u8;
    memory.growTo(2 * PAGE_BYTES);
    // This is why code must re-read views from the Memory after any call that can allocate.
    expect(stale.length).toBe(0);
    expect(memory.u8.length).toBe(2 * PAGE_BYTES);
  });

  it('returns true and changes nothing when the memory is already big enough', () => {
    const memory = new Memory({ initialBytes: 2 * PAGE_BYTES });
    const u8 = memory.u8;
    const buffer = memory.buffer;
    const calls: number[] = [];
    memory.onGrow((_m, previous) => calls.push(previous));
    expect(memory.growTo(0)).toBe(true);
    expect(memory.growTo(PAGE_BYTES + 1)).toBe(true);
    expect(memory.growTo(2 * PAGE_BYTES)).toBe(true);
    expect(memory.byteLength).toBe(2 * PAGE_BYTES);
    expect(memory.u8).toBe(u8);
    expect(memory.buffer).toBe(buffer);
    expect(calls).toEqual([]);
  });

  it('returns false beyond maxBytes and changes nothing', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES, maxBytes: 4 * PAGE_BYTES });
    memory.u8[123] = 45;
    const u8 = memory.u8;
    const buffer = memory.buffer;
    const calls: number[] = [];
    memory.onGrow((_m, previous) => calls.push(previous));
    expect(memory.growTo(4 * PAGE_BYTES + 1)).toBe(false);
    expect(memory.growTo(MAX_MEMORY_BYTES + 1)).toBe(false);
    expect(memory.byteLength).toBe(PAGE_BYTES);
    expect(memory.wasmMemory!.buffer.byteLength).toBe(PAGE_BYTES);
    expect(memory.buffer).toBe(buffer);
    expect(memory.u8).toBe(u8);
    expect(u8.length).toBe(PAGE_BYTES); // not detached: no grow happened
    expect(memory.u8[123]).toBe(45);
    expect(calls).toEqual([]);
    // Exactly maxBytes is still allowed.
    expect(memory.growTo(4 * PAGE_BYTES)).toBe(true);
    expect(memory.byteLength).toBe(4 * PAGE_BYTES);
  });

  /** A backing, a way to grow it behind the Memory's back to 4 pages, and its current buffer. */
  interface External {
    backing: MemoryBacking;
    growElsewhere: () => void;
    current: () => ArrayBuffer | SharedArrayBuffer;
  }
  const externals: Array<[string, () => External]> = [
    [
      'a WebAssembly.Memory',
      () => {
        const wasm = new WebAssembly.Memory({ initial: 1, maximum: 10 });
        return { backing: wasm, growElsewhere: () => wasm.grow(3), current: () => wasm.buffer };
      },
    ],
    [
      'a growable SharedArrayBuffer',
      () => {
        const sab = new SharedArrayBuffer(PAGE_BYTES, { maxByteLength: 10 * PAGE_BYTES });
        return { backing: sab, growElsewhere: () => sab.grow(4 * PAGE_BYTES), current: () => sab };
      },
    ],
    [
      'a resizable ArrayBuffer',
      () => {
        const ab = new ArrayBuffer(PAGE_BYTES, { maxByteLength: 10 * PAGE_BYTES });
        return { backing: ab, growElsewhere: () => ab.resize(4 * PAGE_BYTES), current: () => ab };
      },
    ],
  ];

  it.each(externals)('growTo never shrinks %s that someone else grew past the request', (_label, make) => {
    const { backing, growElsewhere, current } = make();
    const memory = new Memory({ buffer: backing });
    growElsewhere(); // 4 pages now; the Memory still believes it has 1
    new Uint8Array(current())[4 * PAGE_BYTES - 1] = 3; // a byte only the other party knows about
    const seen: number[] = [];
    memory.onGrow((m, previous) => seen.push(previous, m.byteLength));
    expect(memory.growTo(2 * PAGE_BYTES)).toBe(true);
    expect(current().byteLength).toBe(4 * PAGE_BYTES);
    expect(memory.byteLength).toBe(4 * PAGE_BYTES);
    expect(memory.u8[4 * PAGE_BYTES - 1]).toBe(3);
    expect(seen).toEqual([PAGE_BYTES, 4 * PAGE_BYTES]);
    expectViewsCoverMemory(memory);
  });
});

describe('Memory.onGrow', () => {
  it('calls listeners with (memory, previousByteLength) after the views were re-created', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES });
    const calls: Array<[Memory, number, number, number]> = [];
    memory.onGrow((m, previous) => calls.push([m, previous, m.byteLength, m.u8.length]));
    memory.growTo(3 * PAGE_BYTES);
    memory.growTo(5 * PAGE_BYTES);
    expect(calls).toEqual([
      [memory, PAGE_BYTES, 3 * PAGE_BYTES, 3 * PAGE_BYTES],
      [memory, 3 * PAGE_BYTES, 5 * PAGE_BYTES, 5 * PAGE_BYTES],
    ]);
    expect(calls[0][0]).toBe(memory);
  });

  it('returns a function that unsubscribes only that listener', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES });
    const a: number[] = [];
    const b: number[] = [];
    const offA = memory.onGrow((_m, previous) => a.push(previous));
    memory.onGrow((_m, previous) => b.push(previous));
    memory.growTo(2 * PAGE_BYTES);
    offA();
    offA(); // a second call is harmless and removes nothing else
    memory.growTo(3 * PAGE_BYTES);
    expect(a).toEqual([PAGE_BYTES]);
    expect(b).toEqual([PAGE_BYTES, 2 * PAGE_BYTES]);
  });

  it('still calls every listener when one unsubscribes itself during the notification', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES });
    const order: string[] = [];
    const off = memory.onGrow(() => {
      order.push('first');
      off();
    });
    memory.onGrow(() => order.push('second'));
    memory.growTo(2 * PAGE_BYTES);
    memory.growTo(3 * PAGE_BYTES);
    expect(order).toEqual(['first', 'second', 'second']);
  });
});

describe('Memory: shared', () => {
  it('shared: true gives a SharedArrayBuffer that grows and keeps its data', () => {
    const memory = new Memory({ shared: true, initialBytes: PAGE_BYTES, maxBytes: 8 * PAGE_BYTES });
    expect(memory.shared).toBe(true);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(memory.wasmMemory!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expectViewsCoverMemory(memory);
    memory.u32[5] = 77;
    const old = memory.u8;
    expect(memory.growTo(3 * PAGE_BYTES)).toBe(true);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(memory.byteLength).toBe(3 * PAGE_BYTES);
    expect(memory.u8 === old).toBe(false);
    expect(memory.u32[5]).toBe(77);
    expectViewsCoverMemory(memory);
  });

  it('the non-shared default is not a SharedArrayBuffer', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES, shared: false });
    expect(memory.shared).toBe(false);
    expect(memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });
});

describe('Memory over an existing buffer', () => {
  it('a fixed ArrayBuffer is used as is and never grows', () => {
    const ab = new ArrayBuffer(1000);
    new Uint8Array(ab)[999] = 5;
    const memory = new Memory({ buffer: ab });
    expect(memory.buffer).toBe(ab);
    expect(memory.wasmMemory).toBeUndefined();
    expect(memory.shared).toBe(false);
    expect(memory.byteLength).toBe(1000);
    expect(memory.maxBytes).toBe(1000);
    expectViewsCoverMemory(memory);
    expect(memory.u8[999]).toBe(5);
    const u8 = memory.u8;
    expect(memory.growTo(1000)).toBe(true);
    expect(memory.growTo(1001)).toBe(false);
    expect(memory.growTo(PAGE_BYTES)).toBe(false);
    expect(memory.byteLength).toBe(1000);
    expect(memory.u8).toBe(u8);
  });

  it('a fixed ArrayBuffer never grows even when maxBytes is larger', () => {
    const memory = new Memory({ buffer: new ArrayBuffer(PAGE_BYTES), maxBytes: 16 * PAGE_BYTES });
    expect(memory.maxBytes).toBe(PAGE_BYTES);
    expect(memory.growTo(2 * PAGE_BYTES)).toBe(false);
    expect(memory.byteLength).toBe(PAGE_BYTES);
  });

  it('a fixed SharedArrayBuffer is shared and never grows', () => {
    const sab = new SharedArrayBuffer(PAGE_BYTES);
    const memory = new Memory({ buffer: sab });
    expect(memory.shared).toBe(true);
    expect(memory.buffer).toBe(sab);
    expect(memory.growTo(PAGE_BYTES + 1)).toBe(false);
    expect(memory.byteLength).toBe(PAGE_BYTES);
  });

  it('a resizable ArrayBuffer grows in place up to its maxByteLength', () => {
    const ab = new ArrayBuffer(PAGE_BYTES, { maxByteLength: 4 * PAGE_BYTES });
    const memory = new Memory({ buffer: ab });
    expect(memory.maxBytes).toBe(4 * PAGE_BYTES);
    expect(memory.byteLength).toBe(PAGE_BYTES);
    memory.u8[10] = 11;
    const old = memory.u8;
    expect(memory.growTo(PAGE_BYTES + 1)).toBe(true);
    expect(ab.byteLength).toBe(2 * PAGE_BYTES);
    expect(memory.buffer).toBe(ab);
    expect(memory.byteLength).toBe(2 * PAGE_BYTES);
    expect(memory.u8 === old).toBe(false);
    expect(memory.u8[10]).toBe(11);
    expectViewsCoverMemory(memory);
    expect(memory.growTo(4 * PAGE_BYTES + 1)).toBe(false);
    expect(ab.byteLength).toBe(2 * PAGE_BYTES);
    // The views are fixed-length, not length-tracking: a resize behind the Memory's back does not
    // change them until refresh().
    ab.resize(3 * PAGE_BYTES);
    expect(memory.u8.length).toBe(2 * PAGE_BYTES);
    expect(memory.refresh()).toBe(true);
    expect(memory.u8.length).toBe(3 * PAGE_BYTES);
  });

  it('a resizable ArrayBuffer is capped by a smaller maxBytes option', () => {
    const ab = new ArrayBuffer(PAGE_BYTES, { maxByteLength: 8 * PAGE_BYTES });
    const memory = new Memory({ buffer: ab, maxBytes: 2 * PAGE_BYTES });
    expect(memory.maxBytes).toBe(2 * PAGE_BYTES);
    expect(memory.growTo(3 * PAGE_BYTES)).toBe(false);
    expect(ab.byteLength).toBe(PAGE_BYTES);
    expect(memory.growTo(2 * PAGE_BYTES)).toBe(true);
    expect(ab.byteLength).toBe(2 * PAGE_BYTES);
  });

  it('a growable SharedArrayBuffer grows in place and is shared', () => {
    const sab = new SharedArrayBuffer(PAGE_BYTES, { maxByteLength: 4 * PAGE_BYTES });
    const memory = new Memory({ buffer: sab });
    expect(memory.shared).toBe(true);
    expect(memory.maxBytes).toBe(4 * PAGE_BYTES);
    memory.u32[0] = 0x01020304;
    const calls: number[] = [];
    memory.onGrow((_m, previous) => calls.push(previous));
    expect(memory.growTo(3 * PAGE_BYTES)).toBe(true);
    expect(sab.byteLength).toBe(3 * PAGE_BYTES);
    expect(memory.buffer).toBe(sab);
    expect(memory.byteLength).toBe(3 * PAGE_BYTES);
    expect(memory.u32[0]).toBe(0x01020304);
    expectViewsCoverMemory(memory);
    expect(calls).toEqual([PAGE_BYTES]);
    expect(memory.growTo(5 * PAGE_BYTES)).toBe(false);
    expect(sab.byteLength).toBe(3 * PAGE_BYTES);
  });

  it('refresh() picks up a growable SharedArrayBuffer grown by someone else', () => {
    const sab = new SharedArrayBuffer(PAGE_BYTES, { maxByteLength: 4 * PAGE_BYTES });
    const memory = new Memory({ buffer: sab });
    const calls: number[] = [];
    memory.onGrow((_m, previous) => calls.push(previous));
    sab.grow(2 * PAGE_BYTES);
    expect(memory.byteLength).toBe(PAGE_BYTES);
    expect(memory.refresh()).toBe(true);
    expect(memory.byteLength).toBe(2 * PAGE_BYTES);
    expectViewsCoverMemory(memory);
    expect(calls).toEqual([PAGE_BYTES]);
  });

  it('an existing WebAssembly.Memory is used and grown in place', () => {
    const wasm = new WebAssembly.Memory({ initial: 2, maximum: 100 });
    new Uint8Array(wasm.buffer)[PAGE_BYTES + 3] = 42;
    const memory = new Memory({ buffer: wasm, maxBytes: 10 * PAGE_BYTES });
    expect(memory.wasmMemory).toBe(wasm);
    expect(memory.buffer).toBe(wasm.buffer);
    expect(memory.shared).toBe(false);
    expect(memory.byteLength).toBe(2 * PAGE_BYTES);
    expect(memory.maxBytes).toBe(10 * PAGE_BYTES);
    expect(memory.u8[PAGE_BYTES + 3]).toBe(42);
    expect(memory.growTo(5 * PAGE_BYTES)).toBe(true);
    expect(wasm.buffer.byteLength).toBe(5 * PAGE_BYTES);
    expect(memory.buffer).toBe(wasm.buffer);
    expect(memory.u8[PAGE_BYTES + 3]).toBe(42);
    expect(memory.growTo(10 * PAGE_BYTES + 1)).toBe(false);
    expect(wasm.buffer.byteLength).toBe(5 * PAGE_BYTES);
  });

  it('an existing shared WebAssembly.Memory is shared', () => {
    const wasm = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const memory = new Memory({ buffer: wasm });
    expect(memory.shared).toBe(true);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('growTo returns false when a WebAssembly.Memory refuses to grow past its own maximum', () => {
    const wasm = new WebAssembly.Memory({ initial: 1, maximum: 2 });
    const memory = new Memory({ buffer: wasm });
    const u8 = memory.u8;
    expect(memory.growTo(3 * PAGE_BYTES)).toBe(false);
    expect(memory.byteLength).toBe(PAGE_BYTES);
    expect(memory.u8).toBe(u8);
    expect(memory.growTo(2 * PAGE_BYTES)).toBe(true);
  });
});

describe('Memory.refresh', () => {
  it('picks up a grow done directly on the WebAssembly.Memory and notifies listeners', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES });
    memory.u8[7] = 99;
    const calls: Array<[Memory, number]> = [];
    memory.onGrow((m, previous) => calls.push([m, previous]));
    expect(memory.refresh()).toBe(false); // nothing changed yet
    expect(calls).toEqual([]);
    memory.wasmMemory!.grow(1);
    expect(memory.byteLength).toBe(PAGE_BYTES); // stale until refreshed
    expect(memory.refresh()).toBe(true);
    expect(memory.byteLength).toBe(2 * PAGE_BYTES);
    expect(memory.buffer).toBe(memory.wasmMemory!.buffer);
    expectViewsCoverMemory(memory);
    expect(memory.u8[7]).toBe(99);
    expect(calls).toEqual([[memory, PAGE_BYTES]]);
    expect(memory.refresh()).toBe(false);
    expect(calls.length).toBe(1);
  });
});

describe('Memory: bad options', () => {
  it.each([
    ['negative initialBytes', { initialBytes: -1 }, /initialBytes/],
    ['NaN initialBytes', { initialBytes: Number.NaN }, /initialBytes/],
    ['fractional initialBytes', { initialBytes: 1.5 }, /initialBytes/],
    ['infinite initialBytes', { initialBytes: Number.POSITIVE_INFINITY }, /initialBytes/],
    ['initialBytes above maxBytes', { initialBytes: 3 * PAGE_BYTES, maxBytes: 2 * PAGE_BYTES }, /exceeds/],
    ['maxBytes 0', { maxBytes: 0 }, /maxBytes/],
    ['negative maxBytes', { maxBytes: -PAGE_BYTES }, /maxBytes/],
    ['NaN maxBytes', { maxBytes: Number.NaN }, /maxBytes/],
    ['maxBytes 0 with a buffer', { buffer: new ArrayBuffer(16), maxBytes: 0 }, /maxBytes/],
    [
      'maxBytes beyond 4 GiB',
      { maxBytes: 2 ** 32 + PAGE_BYTES },
      /maxBytes must be an integer from 1 to 4294967296/,
    ],
    ['a BigInt maxBytes', { maxBytes: 1n << 20n }, /maxBytes .* got 1048576n \(a BigInt\)/],
    ['a string initialBytes', { initialBytes: '65536' }, /initialBytes .* got "65536" \(a string\)/],
    [
      'an unknown key',
      { initalBytes: 65536 },
      /unknown option 'initalBytes'; the options are initialBytes, maxBytes/,
    ],
    ['shared: "yes"', { shared: 'yes' }, /shared must be true or false, got "yes"/],
    ['null', null, /options must be an object .* got null/],
    ['a number', 65536, /options must be an object/],
    ['a Memory', new Memory({ initialBytes: 0 }), /got a Memory; use that Memory itself, or pass \{ buffer/],
    [
      'a buffer that is no buffer',
      { buffer: new Uint8Array(16) },
      /buffer must be an ArrayBuffer, .* got a Uint8Array/,
    ],
    ['a buffer of {}', { buffer: {} }, /buffer must be an ArrayBuffer/],
    [
      'initialBytes with a buffer',
      { buffer: new ArrayBuffer(PAGE_BYTES), initialBytes: 0 },
      /initialBytes does not apply/,
    ],
    [
      'shared: true with an ArrayBuffer',
      { buffer: new ArrayBuffer(PAGE_BYTES), shared: true },
      /disagrees with the buffer/,
    ],
  ])('%s throws ConfigurationError', (_label, options, message) => {
    let thrown: unknown;
    try {
      new Memory(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect(thrown).toBeInstanceOf(HeapkitError);
    expect((thrown as Error).name).toBe('ConfigurationError');
    expect((thrown as Error).message).toMatch(message);
  });

  it.each([
    ['growTo("1")', (m: Memory) => m.growTo('1' as never), InvalidSizeError],
    ['growTo(-1)', (m: Memory) => m.growTo(-1), InvalidSizeError],
    ['growTo(NaN)', (m: Memory) => m.growTo(Number.NaN), InvalidSizeError],
    ['growTo(1n)', (m: Memory) => m.growTo(1n as never), InvalidSizeError],
    ['onGrow(42)', (m: Memory) => m.onGrow(42 as never), ConfigurationError],
  ])('method %s throws a typed error and changes nothing', (_label, call, type) => {
    const memory = new Memory({ initialBytes: PAGE_BYTES });
    expect(() => call(memory)).toThrow(type);
    expect(memory.byteLength).toBe(PAGE_BYTES);
  });

  it('rejects a buffer larger than 4 GiB, which 32-bit pointers cannot reach', () => {
    // Untouched pages of an ArrayBuffer are not committed, so this costs no real memory.
    const buffer = new ArrayBuffer(2 ** 32 + PAGE_BYTES);
    expect(() => new Memory({ buffer })).toThrow(ConfigurationError);
    expect(() => new Memory({ buffer })).toThrow(/beyond 4 GiB/);
  });
});

describe('Memory: property', () => {
  type Backing = 'wasm' | 'shared-wasm' | 'resizable' | 'growable-shared';
  const MAX_PAGES = 6;

  function create(backing: Backing, initialPages: number): Memory {
    const initial = initialPages * PAGE_BYTES;
    const max = MAX_PAGES * PAGE_BYTES;
    switch (backing) {
      case 'wasm':
        return new Memory({ initialBytes: initial, maxBytes: max });
      case 'shared-wasm':
        return new Memory({ initialBytes: initial, maxBytes: max, shared: true });
      case 'resizable':
        return new Memory({ buffer: new ArrayBuffer(initial, { maxByteLength: max }) });
      case 'growable-shared':
        return new Memory({ buffer: new SharedArrayBuffer(initial, { maxByteLength: max }) });
    }
  }

  const command = fc.oneof(
    fc.record({
      kind: fc.constant('grow' as const),
      bytes: fc.integer({ min: 0, max: (MAX_PAGES + 2) * PAGE_BYTES }),
    }),
    fc.record({ kind: fc.constant('write' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
  );

  it('growTo/writes match a model: length is the largest request in whole pages, bytes survive', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Backing>('wasm', 'shared-wasm', 'resizable', 'growable-shared'),
        fc.integer({ min: 0, max: 2 }),
        fc.array(command, { maxLength: 40 }),
        (backing, initialPages, commands) => {
          const memory = create(backing, initialPages);
          const max = MAX_PAGES * PAGE_BYTES;
          let modelLength = initialPages * PAGE_BYTES;
          const written = new Map<number, number>();
          for (const c of commands) {
            if (c.kind === 'grow') {
              const ok = memory.growTo(c.bytes);
              if (c.bytes > max) {
                expect(ok).toBe(false);
              } else {
                expect(ok).toBe(true);
                modelLength = Math.max(modelLength, Math.ceil(c.bytes / PAGE_BYTES) * PAGE_BYTES);
              }
            } else if (memory.byteLength > 0) {
              const at = c.at % memory.byteLength;
              memory.u8[at] = c.value;
              written.set(at, c.value);
            }
            expect(memory.byteLength).toBe(modelLength);
            expect(memory.u8.length).toBe(modelLength);
            expect(memory.buffer.byteLength).toBe(modelLength);
            for (const [at, value] of written) {
              if (memory.u8[at] !== value) throw new Error(`byte ${at} is ${memory.u8[at]}, wrote ${value}`);
            }
          }
          // Bytes never written are still zero.
          let nonZero = 0;
          for (let i = 0; i < memory.byteLength; i++) if (memory.u8[i] !== 0) nonZero++;
          expect(nonZero).toBe(written.size);
        },
      ),
      { numRuns: 150 },
    );
  });
});
