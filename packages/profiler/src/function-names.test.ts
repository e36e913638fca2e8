/**
 * Function names in frames: a frame is (file, line, function). The runtime stack takes a function
 * per pushed frame, the JS stack keeps V8's names; statistics can group by function; pprof has one
 * function per (name, file) with the lines in its locations; the flame graph and the top tables
 * label frames "function file:line".
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { Profile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { flameTree } from './flamegraph.js';
import { Frame, frameLabel, shortFileName, Traceback } from './frame.js';
import { displayName } from './js-stack-source.js';
import { toPprof } from './pprof.js';
import { Profiler } from './profiler.js';
import { formatTop } from './report-top.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';
import { Snapshot } from './snapshot.js';
import { thrownBy } from './test-support/thrown-by.js';
import { Trace } from './trace.js';

/** A guest program: main() calls parse() twice and build() once, each allocating. */
function guestSnapshot(): Snapshot {
  const stack = new RuntimeFrameStack();
  const profiler = new Profiler({ frameSource: stack });
  const heap = profiler.wrap(new ArenaAllocator());
  profiler.start(4);
  const main = stack.registerFile('/srv/app/main.py');
  const lib = stack.registerFile('/srv/app/lib/parse.py');
  stack.push(main, 10, stack.registerFunction('main'));
  for (const line of [20, 30]) {
    stack.setLine(line);
    stack.push(lib, 5, stack.registerFunction('parse'));
    heap.malloc(100);
    stack.setLine(7);
    heap.malloc(50);
    stack.pop();
  }
  stack.setLine(40);
  stack.push(lib, 90, stack.registerFunction('build'));
  heap.malloc(1000);
  stack.pop();
  stack.push(lib, 95); // a frame whose function the runtime does not name
  heap.malloc(8);
  stack.pop();
  return profiler.takeSnapshot();
}

describe('function names in frames', () => {
  it('RuntimeFrameStack keeps a function per pushed frame; push(file, line) still works', () => {
    const snapshot = guestSnapshot();
    const tb = snapshot.traces.find((t) => t.size === 50)!.traceback;
    expect(tb.frames.map((f) => [f.filename, f.lineno, f.functionName])).toEqual([
      ['/srv/app/main.py', 20, 'main'],
      ['/srv/app/lib/parse.py', 7, 'parse'],
    ]);
    expect(tb.format(null, true)).toEqual([
      '  File "/srv/app/lib/parse.py", line 7, in parse',
      '  File "/srv/app/main.py", line 20, in main',
    ]);
    const unnamed = snapshot.traces.find((t) => t.size === 8)!.traceback.mostRecent;
    expect(unnamed.functionName).toBeUndefined();
    expect(String(unnamed)).toBe('/srv/app/lib/parse.py:95'); // str(frame) as in CPython
  });

  it('rejects an unknown function id with a RangeError and leaves the stack as it was', () => {
    const stack = new RuntimeFrameStack();
    const file = stack.registerFile('a.py');
    stack.push(file, 1);
    for (const bad of [5, -2, 0.5, Number.NaN]) {
      const error = thrownBy(() => stack.push(file, 2, bad));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toMatch(/unknown function id .* \(use registerFunction, or -1 for none\)/);
    }
    expect(stack.depth).toBe(1);
    expect(stack.registerFunction('f')).toBe(stack.registerFunction('f')); // interned
  });

  it('the memo of nframe 1 tells two functions on the same file and line apart', () => {
    const stack = new RuntimeFrameStack();
    const profiler = new Profiler({ frameSource: stack });
    const heap = profiler.wrap(new ArenaAllocator());
    profiler.start(1);
    const file = stack.registerFile('a.py');
    const names: (string | undefined)[] = [];
    for (const fn of ['f', 'g', 'f', undefined, 'g']) {
      stack.push(file, 3, fn === undefined ? -1 : stack.registerFunction(fn));
      names.push(profiler.getObjectTraceback(heap.malloc(16))!.mostRecent.functionName);
      stack.pop();
    }
    expect(names).toEqual(['f', 'g', 'f', undefined, 'g']);
  });

  it('JS stack frames keep V8’s function name', () => {
    const profiler = new Profiler();
    const heap = profiler.wrap(new ArenaAllocator());
    profiler.start(2);
    function allocateForTheTest(): number {
      return heap.malloc(24);
    }
    const p = allocateForTheTest();
    const tb = profiler.getObjectTraceback(p)!;
    expect(tb.mostRecent.functionName).toBe('allocateForTheTest');
    expect(tb.mostRecent.filename).toBe(displayName(import.meta.url));
    const q = (() => heap.malloc(8))(); // anonymous: no name
    expect(profiler.getObjectTraceback(q)!.mostRecent.functionName).toBeUndefined();
  });

  it("statistics('function') groups by the most recent frame's function and file", () => {
    const snapshot = guestSnapshot();
    const rows = snapshot
      .statistics('function')
      .map((s) => [frameLabel(s.traceback.mostRecent, { lineno: false }), s.size, s.count]);
    expect(rows).toEqual([
      ['build /srv/app/lib/parse.py', 1000, 1],
      ['parse /srv/app/lib/parse.py', 300, 4],
      ['/srv/app/lib/parse.py', 8, 1],
    ]);
    const cumulative = snapshot
      .statistics('function', true)
      .map((s) => [s.traceback.mostRecent.functionName, s.size]);
    expect(cumulative).toEqual([
      ['main', 1308],
      ['build', 1000],
      ['parse', 300],
      [undefined, 8],
    ]);
  });

  it('top tables label places "function file:line" and group by function', () => {
    const snapshot = guestSnapshot();
    const byLine = formatTop(snapshot, { limit: 2 }).split('\n');
    expect(byLine[2]).toMatch(/^1 +1000 B +1 +1000 B +build \/srv\/app\/lib\/parse\.py:90$/);
    expect(byLine[3]).toMatch(/^2 +200 B +2 +100 B +parse \/srv\/app\/lib\/parse\.py:5$/);
    const byFunction = formatTop(snapshot, { keyType: 'function' }).split('\n');
    expect(byFunction[0]).toMatch(/^Top 10 places by function;/);
    expect(byFunction.slice(2, 5).map((l) => l.split(/ {2,}/).slice(1))).toEqual([
      ['1000 B', '1', '1000 B', 'build /srv/app/lib/parse.py'],
      ['300 B', '4', '75 B', 'parse /srv/app/lib/parse.py'],
      ['8 B', '1', '8 B', '/srv/app/lib/parse.py'],
    ]);
  });

  it('pprof has one function per (name, file), with the lines in the locations', () => {
    const profile = Profile.decode(toPprof(guestSnapshot()));
    const str = (i: unknown) => profile.stringTable.strings[Number(i)]!;
    const functions = new Map(profile.function.map((f) => [Number(f.id), f]));
    expect(profile.function.map((f) => [str(f.name), str(f.filename)]).sort()).toEqual([
      ['/srv/app/lib/parse.py', '/srv/app/lib/parse.py'], // the unnamed frame: named by its file
      ['build', '/srv/app/lib/parse.py'],
      ['main', '/srv/app/main.py'],
      ['parse', '/srv/app/lib/parse.py'],
    ]);
    const lines = profile.location
      .map((l) => `${str(functions.get(Number(l.line[0]!.functionId))!.name)}:${Number(l.line[0]!.line)}`)
      .sort();
    expect(lines).toEqual([
      '/srv/app/lib/parse.py:95',
      'build:90',
      'main:20',
      'main:30',
      'main:40',
      'parse:5',
      'parse:7',
    ]);
  });

  it('the flame graph labels frames "function file:line" with the file shortened', () => {
    const tree = flameTree(guestSnapshot());
    const main = tree.children.find((c) => c.name === 'main /srv/app/main.py:20')!;
    expect(main.label).toBe('main main.py:20');
    expect(main.children.map((c) => [c.name, c.label])).toEqual([
      ['parse /srv/app/lib/parse.py:5', 'parse parse.py:5'],
      ['parse /srv/app/lib/parse.py:7', 'parse parse.py:7'],
    ]);
    expect(tree.label).toBe('all');
  });

  it('frames compare and key by function too; labels shorten paths and URLs', () => {
    const a = new Frame('a.js', 1, 'f');
    expect(a.equals(new Frame('a.js', 1, 'f'))).toBe(true);
    expect(a.equals(new Frame('a.js', 1, 'g'))).toBe(false);
    expect(a.equals(new Frame('a.js', 1))).toBe(false);
    expect(new Frame('a.js', 1, '').functionName).toBeUndefined();
    expect(new Traceback([a]).key).not.toBe(new Traceback([new Frame('a.js', 1)]).key);
    const s = new Snapshot(
      [new Trace(0, 1, new Traceback([a])), new Trace(0, 2, new Traceback([new Frame('a.js', 1, 'g')]))],
      1,
    );
    expect(s.statistics('lineno').length).toBe(2);
    expect(shortFileName('/a/b/c.js')).toBe('c.js');
    expect(shortFileName('https://x.org/app/main.js')).toBe('main.js');
    expect(shortFileName('C:\\app\\main.js')).toBe('main.js');
    expect(shortFileName('<unknown>')).toBe('<unknown>');
    expect(frameLabel(new Frame('/a/b/c.js', 4, 'run'), { short: true })).toBe('run c.js:4');
    expect(frameLabel(new Frame('/a/b/c.js', 4))).toBe('/a/b/c.js:4');
  });
});
