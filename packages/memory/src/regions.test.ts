import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, InvalidPointerError, InvalidSizeError } from './errors.js';
import { Memory, PAGE_BYTES } from './memory.js';
import { REGION_HEADER_BYTES, REGION_MAGIC, REGION_VERSION, type Region } from './regions.js';

/** Checks the table's invariants: it tiles [base, break), no two released neighbours, sums match. */
function expectConsistent(memory: Memory): Region[] {
  const header = memory.regionHeader();
  const regions = memory.regions();
  let at = header.base;
  let reserved = 0;
  let released = 0;
  regions.forEach((r, i) => {
    expect(r.start).toBe(at);
    expect(r.end).toBeGreaterThan(r.start);
    expect(r.start % 16).toBe(0);
    if (r.owner === 0) {
      released += r.end - r.start;
      expect(regions[i + 1]?.owner).not.toBe(0);
    } else {
      reserved += r.end - r.start;
    }
    at = r.end;
  });
  expect(at).toBe(header.break);
  expect(regions.at(-1)?.owner ?? 1).not.toBe(0);
  expect(header.reservedBytes).toBe(reserved);
  expect(header.releasedBytes).toBe(released);
  expect(header.regionCount).toBe(regions.length);
  return regions;
}

describe('region protocol: the header', () => {
  it('a fresh memory is initialised on first use: magic, version, break at the base', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES });
    expect(memory.u32[0]).toBe(0); // nothing written until the protocol is used
    expect(memory.regionHeader()).toEqual({
      version: REGION_VERSION,
      break: REGION_HEADER_BYTES,
      base: REGION_HEADER_BYTES,
      reservedBytes: 0,
      releasedBytes: 0,
      regionCount: 0,
    });
    expect(memory.u32[0]).toBe(REGION_MAGIC);
    expect(memory.u32[1]).toBe(REGION_VERSION);
  });

  it('a buffer that holds a header is attached to: its regions stay, new ones do not overlap', () => {
    const first = new Memory({ initialBytes: PAGE_BYTES, maxBytes: 64 * PAGE_BYTES });
    const a = first.registerOwner('a');
    const p = first.reserve(1000, a);
    const second = new Memory({ buffer: first.wasmMemory!, maxBytes: 64 * PAGE_BYTES });
    expect(second.regions()).toEqual(first.regions());
    const b = second.registerOwner('b');
    expect(b).not.toBe(a); // owner ids come from the shared header
    const q = second.reserve(1000, b);
    expect(q).toBeGreaterThanOrEqual(p + 1008);
    expect(first.regionOf(q)).toEqual({ start: q, end: q + 1008, owner: b });
    expectConsistent(first);
  });

  it('a buffer whose first bytes hold something else is a ConfigurationError, and is not overwritten', () => {
    const buffer = new ArrayBuffer(PAGE_BYTES);
    const u32 = new Uint32Array(buffer);
    u32[0] = 0x12345678;
    u32[1] = 7;
    expect(() => new Memory({ buffer })).toThrow(ConfigurationError);
    expect(() => new Memory({ buffer })).toThrow(
      /0x12345678, not heapkit's region header .*pass a zeroed buffer/,
    );
    expect([u32[0], u32[1], u32[2]]).toEqual([0x12345678, 7, 0]);
  });

  it('a header of another layout version is a ConfigurationError, and is not overwritten', () => {
    const buffer = new ArrayBuffer(PAGE_BYTES);
    const u32 = new Uint32Array(buffer);
    u32[0] = REGION_MAGIC;
    u32[1] = REGION_VERSION + 1;
    expect(() => new Memory({ buffer })).toThrow(/layout version 2, this @heapkit\/memory reads version 1/);
    expect(u32[1]).toBe(REGION_VERSION + 1);
  });

  it('a header damaged after construction is refused by the next region operation', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES });
    const owner = memory.registerOwner('x');
    memory.u32[0] = 0xdeadbeef;
    expect(() => memory.reserve(16, owner)).toThrow(ConfigurationError);
    expect(memory.u32[0]).toBe(0xdeadbeef);
  });
});

describe('region protocol: reserve and release', () => {
  it('reserves aligned, disjoint regions at the break, growing the memory', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES, maxBytes: 64 * PAGE_BYTES });
    const a = memory.registerOwner('a');
    const p = memory.reserve(100, a);
    expect(p).toBe(REGION_HEADER_BYTES);
    const q = memory.reserve(PAGE_BYTES, a, 16384);
    expect(q % 16384).toBe(0);
    expect(memory.byteLength).toBeGreaterThanOrEqual(q + PAGE_BYTES);
    const regions = expectConsistent(memory);
    // The alignment gap is a released region others can use.
    expect(regions).toEqual([
      { start: p, end: p + 112, owner: a },
      { start: p + 112, end: q, owner: 0 },
      { start: q, end: q + PAGE_BYTES, owner: a },
    ]);
    const b = memory.registerOwner('b');
    expect(memory.reserve(64, b)).toBe(p + 112);
    expectConsistent(memory);
  });

  it('released space serves the next reservation; neighbours merge; the break comes down', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES, maxBytes: 64 * PAGE_BYTES });
    const a = memory.registerOwner('a');
    const [r1, r2, r3] = [memory.reserve(4096, a), memory.reserve(4096, a), memory.reserve(4096, a)];
    memory.release(r1!, a);
    memory.release(r2!, a);
    expect(memory.regions()).toEqual([
      { start: r1, end: r3, owner: 0 },
      { start: r3, end: r3! + 4096, owner: a },
    ]);
    expect(memory.reserve(8192, a)).toBe(r1);
    memory.release(r3!, a);
    expect(memory.regionHeader().break).toBe(r3);
    expectConsistent(memory);
  });

  it('extends a region in place at the break or into a released neighbour, else refuses', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES, maxBytes: 64 * PAGE_BYTES });
    const a = memory.registerOwner('a');
    const b = memory.registerOwner('b');
    const p = memory.reserve(4096, a);
    expect(memory.extend(p, a, 3 * PAGE_BYTES)).toBe(true); // the highest region: the break moves
    expect(memory.regionOf(p)).toEqual({ start: p, end: p + 3 * PAGE_BYTES, owner: a });
    expect(memory.byteLength).toBeGreaterThanOrEqual(p + 3 * PAGE_BYTES);
    const q = memory.reserve(4096, b);
    const r = memory.reserve(4096, b);
    expect(memory.extend(p, a, 3 * PAGE_BYTES + 16)).toBe(false); // q is in the way
    expect(memory.extend(p, b, 3 * PAGE_BYTES)).toBe(false); // not b's region
    memory.release(q, b);
    expect(memory.extend(p, a, 3 * PAGE_BYTES + 1024)).toBe(true); // into part of the released q
    expect(memory.regionOf(q + 1024)).toEqual({ start: q + 1024, end: r, owner: 0 });
    expect(memory.extend(p, a, r - p + 16)).toBe(false); // beyond the released region
    expect(memory.extend(p, a, r - p)).toBe(true); // all of it
    expect(memory.regionOf(p)).toEqual({ start: p, end: r, owner: a });
    expect(memory.extend(r, b, 64 * PAGE_BYTES)).toBe(false); // beyond maxBytes
    expectConsistent(memory);
  });

  it('returns 0 when the memory cannot grow, and changes nothing', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES, maxBytes: 2 * PAGE_BYTES });
    const a = memory.registerOwner('a');
    const before = memory.regions();
    expect(memory.reserve(2 * PAGE_BYTES, a)).toBe(0);
    expect(memory.regions()).toEqual(before);
    expect(memory.reserve(PAGE_BYTES, a)).not.toBe(0);
  });

  it('refuses to release a region of another owner, saying whose it is, and changes nothing', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES });
    const a = memory.registerOwner('allocator A');
    const b = memory.registerOwner('allocator B');
    const p = memory.reserve(256, a);
    const before = memory.regions();
    expect(() => memory.release(p, b)).toThrow(InvalidPointerError);
    expect(() => memory.release(p, b)).toThrow(/of owner \d+ \(allocator A\)/);
    expect(() => memory.release(p + 16, a)).toThrow(/not the start of a region/);
    expect(() => memory.release(64, a)).toThrow(/in the header or beyond the break/);
    expect(memory.regions()).toEqual(before);
    memory.release(p, a);
    expect(() => memory.release(p, a)).toThrow(InvalidPointerError);
  });

  it('moves its table out of the header when it fills, and keeps every region', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES, maxBytes: 256 * PAGE_BYTES });
    const owners = [memory.registerOwner('a'), memory.registerOwner('b')];
    const starts: number[] = [];
    for (let i = 0; i < 400; i++) starts.push(memory.reserve(64, owners[i & 1]!));
    // Release every other one: released regions cannot merge, so the table holds ~400 entries.
    for (let i = 0; i < 400; i += 2) memory.release(starts[i]!, owners[0]!);
    const regions = expectConsistent(memory);
    expect(regions.some((r) => r.owner === 1)).toBe(true); // the table's own region
    for (let i = 1; i < 400; i += 2) expect(memory.regionOf(starts[i]!)?.owner).toBe(owners[1]);
  });

  it('over a shared backing, the lock word is free after each operation', () => {
    const memory = new Memory({ initialBytes: PAGE_BYTES, shared: true });
    const a = memory.registerOwner('a');
    memory.release(memory.reserve(100, a), a);
    expect(Atomics.load(memory.i32, 2)).toBe(0);
    expectConsistent(memory);
  });

  it.each([
    ['a BigInt size', (m: Memory, o: number) => m.reserve(16n as never, o), InvalidSizeError],
    ['a string size', (m: Memory, o: number) => m.reserve('16' as never, o), InvalidSizeError],
    ['a fractional size', (m: Memory, o: number) => m.reserve(1.5, o), InvalidSizeError],
    ['NaN as size', (m: Memory, o: number) => m.reserve(Number.NaN, o), InvalidSizeError],
    ['no owner', (m: Memory) => m.reserve(16, undefined as never), ConfigurationError],
    ['owner 0', (m: Memory) => m.reserve(16, 0), ConfigurationError],
    ['alignment 24', (m: Memory, o: number) => m.reserve(16, o, 24), ConfigurationError],
    ['alignment 8', (m: Memory, o: number) => m.reserve(16, o, 8), ConfigurationError],
    ['a string start', (m: Memory, o: number) => m.release('1024' as never, o), InvalidPointerError],
    ['a negative start', (m: Memory, o: number) => m.release(-16, o), InvalidPointerError],
    ['a BigInt pointer', (m: Memory) => m.regionOf(1024n as never), InvalidPointerError],
    ['a name that is no string', (m: Memory) => m.registerOwner(3 as never), ConfigurationError],
  ])('rejects %s with a typed error and changes nothing', (_label, call, type) => {
    const memory = new Memory({ initialBytes: PAGE_BYTES });
    const owner = memory.registerOwner('x');
    const p = memory.reserve(32, owner);
    const before = memory.regions();
    expect(() => call(memory, owner)).toThrow(type);
    expect(memory.regions()).toEqual(before);
    expect(memory.regionOf(p)?.owner).toBe(owner);
  });
});

describe('region protocol: property', () => {
  it('random reserves and releases by several owners match a model and keep the header exact', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('reserve' as const),
        owner: fc.nat(3),
        size: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 70_000 })),
        align: fc.constantFrom(16, 64, 4096, 16384, 65536),
      }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
      fc.record({
        kind: fc.constant('extend' as const),
        pick: fc.nat(),
        more: fc.integer({ min: 1, max: 5000 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const memory = new Memory({ initialBytes: PAGE_BYTES, maxBytes: 64 * PAGE_BYTES });
        const owners = [0, 1, 2, 3].map((i) => memory.registerOwner(`owner ${i}`));
        const live: { start: number; size: number; owner: number }[] = [];
        for (const o of ops) {
          if (o.kind === 'reserve') {
            const owner = owners[o.owner]!;
            const p = memory.reserve(o.size, owner, o.align);
            if (p === 0) continue;
            const size = Math.max(16, Math.ceil(o.size / 16) * 16);
            expect(p % o.align).toBe(0);
            for (const r of live) expect(p + size <= r.start || r.start + r.size <= p).toBe(true);
            expect(memory.regionOf(p)).toEqual({ start: p, end: p + size, owner });
            live.push({ start: p, size, owner });
          } else if (o.kind === 'release' && live.length > 0) {
            const [r] = live.splice(o.pick % live.length, 1);
            memory.release(r!.start, r!.owner);
          } else if (o.kind === 'extend' && live.length > 0) {
            const r = live[o.pick % live.length]!;
            const size = r.size + Math.ceil(o.more / 16) * 16;
            const free = live.every(
              (x) => x === r || x.start >= r.start + size || x.start + x.size <= r.start,
            );
            const extended = memory.extend(r.start, r.owner, size);
            if (extended) r.size = size;
            else expect(free && r.start + size <= 64 * PAGE_BYTES - 65536).toBe(false);
          }
        }
        const regions = expectConsistent(memory);
        const owned = regions.filter((r) => r.owner > 1);
        expect(owned.map((r) => [r.start, r.end, r.owner])).toEqual(
          live.sort((x, y) => x.start - y.start).map((r) => [r.start, r.start + r.size, r.owner]),
        );
      }),
      { numRuns: 200 },
    );
  });
});
