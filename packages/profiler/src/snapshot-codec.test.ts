import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeapkitError } from '@heapkit/memory';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { SnapshotFormatError } from './errors.js';
import { Frame, Traceback } from './frame.js';
import { Snapshot } from './snapshot.js';
import { FORMAT_VERSION } from './snapshot-codec.js';
import { createSnapshots } from './test-support/cpython-snapshots.js';
import { thrownBy } from './test-support/thrown-by.js';
import { Trace } from './trace.js';

const dir = mkdtempSync(join(tmpdir(), 'heapkit-profiler-codec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything a snapshot holds, as plain data, for exact comparison. */
function contents(s: Snapshot) {
  return {
    limit: s.tracebackLimit,
    interval: s.samplingInterval,
    traces: s.traces.map((t) => ({
      domain: t.domain,
      size: t.size,
      weight: t.weight,
      total: t.traceback.totalNframe,
      frames: t.traceback.frames.map((f) => [f.filename, f.lineno, f.functionName]),
    })),
  };
}

const frame = fc
  .tuple(
    fc.constantFrom('a.js', 'b/ç.js', '<unknown>', 'file with spaces', '😀.ts', ''),
    fc.nat(100_000),
    fc.option(fc.constantFrom('main', 'a.js', 'Ω', 'Class.method'), { nil: undefined }),
  )
  .map(([f, l, fn]) => new Frame(f, l, fn));
const traceback = fc
  .tuple(
    fc.array(frame, { minLength: 1, maxLength: 5 }),
    fc.option(fc.integer({ min: 1, max: 70_000 }), { nil: undefined }),
  )
  .map(([frames, total]) => new Traceback(frames, total));
const trace = fc
  .tuple(
    fc.integer({ min: 0, max: 65535 }),
    fc.nat(2 ** 32 - 1),
    traceback,
    fc.oneof(fc.constant(1), fc.double({ min: 1, max: 1e6, noNaN: true })),
  )
  .map(([d, s, tb, w]) => new Trace(d, s, tb, w));
const snapshot = fc
  .tuple(
    fc.array(trace, { maxLength: 40 }),
    fc.integer({ min: 1, max: 65535 }),
    fc.oneof(fc.constant(0), fc.double({ min: 1, max: 1e9, noNaN: true })),
  )
  .map(([traces, limit, interval]) => new Snapshot(traces, limit, interval));

/** A copy of `bytes` with the checksum recomputed, to reach the checks after it. */
function resealed(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(copy.length - 4, crc32(copy, 0, copy.length - 4), true);
  return copy;
}

function formatError(bytes: Uint8Array, source = 'snap.hksnap'): SnapshotFormatError {
  const error = thrownBy(() => Snapshot.fromBytes(bytes, source));
  expect(error).toBeInstanceOf(SnapshotFormatError);
  expect(error).toBeInstanceOf(HeapkitError);
  expect(error.message.startsWith(`${source}: not a readable heapkit snapshot: `)).toBe(true);
  expect((error as SnapshotFormatError).source).toBe(source);
  return error as SnapshotFormatError;
}

describe('snapshot dump format', () => {
  it('round-trips every field exactly, through bytes and through a file (property)', () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        const bytes = s.toBytes();
        const back = Snapshot.fromBytes(bytes);
        expect(contents(back)).toEqual(contents(s));
        expect(back.toBytes()).toEqual(bytes); // and encoding is deterministic
      }),
      { numRuns: 300 },
    );
    const [s] = createSnapshots();
    const file = join(dir, 'cpython.hksnap');
    s.dump(file);
    const loaded = Snapshot.load(file);
    expect(contents(loaded)).toEqual(contents(s));
    expect(loaded.statistics('lineno').map(String)).toEqual(s.statistics('lineno').map(String));
  });

  it('stores each file name, frame and traceback once', () => {
    const tb = new Traceback([new Frame('/very/long/path/to/some/module.js', 1)]);
    const one = new Snapshot([new Trace(0, 1, tb)], 1).toBytes().length;
    const many = new Snapshot(
      Array.from({ length: 1000 }, () => new Trace(0, 1, tb)),
      1,
    ).toBytes().length;
    expect(many - one).toBe(999 * 24); // 24 bytes per extra trace, nothing else
  });

  it('rejects an empty file, a foreign file and a wrong magic', () => {
    expect(formatError(new Uint8Array()).reason).toBe('the file is empty');
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13);
    expect(formatError(png).reason).toMatch(
      /^wrong magic: it starts with 89 50 4e 47 0d 0a 1a 0a, a heapkit snapshot starts with 89 48 4b/,
    );
    const text = new TextEncoder().encode('{"traces": []}');
    expect(formatError(text).reason).toMatch(/^wrong magic: it starts with 7b 22 74 72/);
    expect(formatError(Uint8Array.of(0x89, 0x48)).reason).toMatch(/^wrong magic/);
  });

  it('rejects a truncated file, naming how much is missing', () => {
    const [s] = createSnapshots();
    const bytes = s.toBytes();
    expect(formatError(bytes.subarray(0, 20)).reason).toBe(
      'truncated: 20 bytes, shorter than the 32-byte header',
    );
    for (const cut of [32, 100, bytes.length - 1]) {
      expect(formatError(bytes.subarray(0, cut)).reason).toBe(`truncated: ${cut} of ${bytes.length} bytes`);
    }
  });

  it('rejects another format version', () => {
    const bytes = createSnapshots()[0].toBytes().slice();
    new DataView(bytes.buffer).setUint32(8, FORMAT_VERSION + 1, true);
    expect(formatError(bytes).reason).toBe(
      `format version ${FORMAT_VERSION + 1}; this @heapkit/profiler reads versions 1 to 2`,
    );
    new DataView(bytes.buffer).setUint32(8, 0, true);
    expect(formatError(bytes).reason).toBe('format version 0; this @heapkit/profiler reads versions 1 to 2');
  });

  it('writes version 2, with function names, and still reads a version 1 dump (no function names)', () => {
    expect(FORMAT_VERSION).toBe(2);
    const named = new Snapshot(
      [new Trace(0, 8, new Traceback([new Frame('main.py', 3, 'main'), new Frame('main.py', 9, 'f')], 2))],
      2,
    );
    const back = Snapshot.fromBytes(named.toBytes());
    expect(back.traces[0]!.traceback.frames.map((f) => f.functionName)).toEqual(['main', 'f']);
    expect(back.traces[0]!.equals(named.traces[0]!)).toBe(true);
    // Written by @heapkit/profiler 0.1.0 (format version 1): traces of 100, 100 and 42 bytes.
    const v1 = Uint8Array.from(
      Buffer.from(
        'iUhLU05BUAoBAAAAxgAAAAIAAAAAAAAAAAAAAAIAAAAHAAAAbWFpbi5weQsAAABsaWIvdXRpbC5weQMAAAAAAAAAAwAAAAEAAAAMAAAAAAAAAAcAAAACAAAAAwAAAAIAAAAAAAAAAQAAAAIAAAABAAAAAgAAAAMAAAAAAAAAAAAAAAAAWUAAAAAAAADwPwAAAAAAAAAAAAAAAAAAWUAAAAAAAADwPwAAAAABAAAAAAAAAAAARUAAAAAAAADwPwEAAADerx3d',
        'base64',
      ),
    );
    expect(new DataView(v1.buffer).getUint32(8, true)).toBe(1);
    const old = Snapshot.fromBytes(v1, 'v1.snap');
    expect(contents(old)).toEqual({
      limit: 2,
      interval: 0,
      traces: [
        {
          domain: 0,
          size: 100,
          weight: 1,
          total: 2,
          frames: [
            ['main.py', 3, undefined],
            ['lib/util.py', 12, undefined],
          ],
        },
        {
          domain: 0,
          size: 100,
          weight: 1,
          total: 2,
          frames: [
            ['main.py', 3, undefined],
            ['lib/util.py', 12, undefined],
          ],
        },
        { domain: 1, size: 42, weight: 1, total: 1, frames: [['main.py', 7, undefined]] },
      ],
    });
  });

  it('rejects corrupted bytes: any flipped byte, trailing data, bad counts and indexes', () => {
    const bytes = createSnapshots()[0].toBytes();
    for (let at = 16; at < bytes.length; at++) {
      const copy = bytes.slice();
      copy[at]! ^= 0x40;
      expect(formatError(copy).reason).toMatch(/^(corrupted|truncated)/);
    }
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(formatError(longer).reason).toBe('corrupted: 3 bytes after the end of the snapshot');
    // With a valid checksum, the structural checks still catch nonsense.
    const view = (b: Uint8Array) => new DataView(b.buffer);
    const badLimit = bytes.slice();
    view(badLimit).setUint32(16, 0, true);
    expect(formatError(resealed(badLimit)).reason).toBe('corrupted: traceback limit 0');
    const badFiles = bytes.slice();
    view(badFiles).setUint32(28, 1000, true); // file count
    expect(formatError(resealed(badFiles)).reason).toMatch(/^corrupted: .* runs past the end of the data/);
    const s = new Snapshot([new Trace(0, 1, new Traceback([new Frame('x', 1)]))], 1);
    const one = s.toBytes().slice();
    // layout: header 28 | files: count 4, len 4, "x" 1 | frames: count 4, file 4, line 4 | ...
    view(one).setUint32(28 + 4 + 4 + 1 + 4, 9, true);
    expect(formatError(resealed(one)).reason).toBe('corrupted: frame 0 names file 9 of 1');
    const badUtf8 = s.toBytes().slice();
    badUtf8[28 + 4 + 4] = 0xff;
    expect(formatError(resealed(badUtf8)).reason).toBe('corrupted: file name 0 is not valid UTF-8');
    const badTrace = s.toBytes().slice();
    view(badTrace).setUint32(badTrace.length - 8, 5, true); // the trace's traceback index
    expect(formatError(resealed(badTrace)).reason).toBe('corrupted: trace 0 names traceback 5 of 1');
    const badWeight = s.toBytes().slice();
    view(badWeight).setFloat64(badWeight.length - 16, 0.5, true);
    expect(formatError(resealed(badWeight)).reason).toBe(
      'corrupted: trace 0 has domain 0, size 1, weight 0.5',
    );
  });

  it('load names the file and says why it cannot be read', () => {
    const missing = join(dir, 'missing.hksnap');
    const error = thrownBy(() => Snapshot.load(missing));
    expect(error).toBeInstanceOf(SnapshotFormatError);
    expect(error.message).toBe(`${missing}: not a readable heapkit snapshot: cannot read the file (ENOENT)`);
    const foreign = join(dir, 'foreign.txt');
    writeFileSync(foreign, 'hello');
    expect(thrownBy(() => Snapshot.load(foreign)).message).toMatch(
      new RegExp(
        `^${foreign.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not a readable heapkit snapshot: wrong magic`,
      ),
    );
    expect(thrownBy(() => Snapshot.load(dir)).message).toMatch(/cannot read the file \(EISDIR\)/);
    expect(formatError('nope' as never, '<bytes>').reason).toBe('expected a Uint8Array of the dumped bytes');
  });

  it('rejects bad Snapshot arguments', () => {
    expect(() => new Snapshot([], 0)).toThrow(/tracebackLimit must be a positive integer/);
    expect(() => new Snapshot([], 1, -1)).toThrow(/samplingInterval must be >= 0/);
  });
});
