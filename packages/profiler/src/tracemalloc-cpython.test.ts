/**
 * Ports of the snapshot, statistics, formatting and filter cases of CPython's
 * `Lib/test/test_tracemalloc.py` (classes TestSnapshot and TestFilters; method names cited on
 * each test), run against this package's classes.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidFilterError } from './errors.js';
import { DomainFilter, Filter } from './filter.js';
import { Frame } from './frame.js';
import { Statistic, StatisticDiff } from './statistic.js';
import {
  createSnapshots,
  raw,
  rawTrace,
  tbFilename,
  tbLineno,
  trace,
} from './test-support/cpython-snapshots.js';
import { thrownBy } from './test-support/thrown-by.js';

const AB = [
  ['a.py', 2],
  ['b.py', 4],
] as const;
const A5B = [
  ['a.py', 5],
  ['b.py', 4],
] as const;

/** Statistics as plain tuples, so toEqual compares what CPython's assertEqual does. */
const plain = (stats: readonly Statistic[]) => stats.map((s) => [s.traceback.key, s.size, s.count]);
const plainDiff = (stats: readonly StatisticDiff[]) =>
  stats.map((s) => [s.traceback.key, s.size, s.sizeDiff, s.count, s.countDiff]);
const st = (tb: ReturnType<typeof raw>, size: number, count: number) => new Statistic(tb, size, count);
const sd = (tb: ReturnType<typeof raw>, size: number, sizeDiff: number, count: number, countDiff: number) =>
  new StatisticDiff(tb, size, sizeDiff, count, countDiff);

describe('TestSnapshot', () => {
  it('test_filter_traces', () => {
    const [snapshot] = createSnapshots();
    const filter1 = new Filter(false, 'b.py');
    const filter2 = new Filter(true, 'a.py', 2);
    const filter3 = new Filter(true, 'a.py', 5);
    const original = snapshot.traces.map(rawTrace);

    const snapshot3 = snapshot.filterTraces([filter1]);
    expect(snapshot3.traces.map(rawTrace)).toEqual([
      [0, 10, AB],
      [0, 10, AB],
      [0, 10, AB],
      [1, 2, A5B],
      [3, 7, [['<unknown>', 0]]],
    ]);
    // filterTraces must not touch the original snapshot
    expect(snapshot.traces.map(rawTrace)).toEqual(original);

    const snapshot4 = snapshot3.filterTraces([filter2, filter3]);
    expect(snapshot4.traces.map(rawTrace)).toEqual([
      [0, 10, AB],
      [0, 10, AB],
      [0, 10, AB],
      [1, 2, A5B],
    ]);

    // No filter: a copy
    const snapshot5 = snapshot.filterTraces([]);
    expect(snapshot5).not.toBe(snapshot);
    expect(snapshot5.traces).not.toBe(snapshot.traces);
    expect(snapshot5.traces.map(rawTrace)).toEqual(original);

    // CPython raises TypeError for a filter that is not in a list
    expect(thrownBy(() => snapshot.filterTraces(filter1 as never))).toBeInstanceOf(InvalidFilterError);
  });

  it('test_filter_traces_domain', () => {
    const [snapshot] = createSnapshots();
    const filter1 = new Filter(false, 'a.py', null, false, 1);
    const filter2 = new Filter(true, 'a.py', null, false, 1);
    expect(snapshot.filterTraces([filter1]).traces.map(rawTrace)).toEqual([
      [0, 10, AB],
      [0, 10, AB],
      [0, 10, AB],
      [2, 66, [['b.py', 1]]],
      [3, 7, [['<unknown>', 0]]],
    ]);
    // (CPython's test repeats filter1 here under "include domain 1"; we check filter2 for real.)
    expect(snapshot.filterTraces([filter2]).traces.map(rawTrace)).toEqual([[1, 2, A5B]]);
  });

  it('test_filter_traces_domain_filter', () => {
    const [snapshot] = createSnapshots();
    expect(snapshot.filterTraces([new DomainFilter(false, 3)]).traces.map(rawTrace)).toEqual([
      [0, 10, AB],
      [0, 10, AB],
      [0, 10, AB],
      [1, 2, A5B],
      [2, 66, [['b.py', 1]]],
    ]);
    expect(snapshot.filterTraces([new DomainFilter(true, 3)]).traces.map(rawTrace)).toEqual([
      [3, 7, [['<unknown>', 0]]],
    ]);
  });

  it('test_snapshot_group_by_line', () => {
    const [snapshot, snapshot2] = createSnapshots();
    const tb0 = tbLineno('<unknown>', 0);
    const tbA2 = tbLineno('a.py', 2);
    const tbA5 = tbLineno('a.py', 5);
    const tbB1 = tbLineno('b.py', 1);
    const tbC578 = tbLineno('c.py', 578);
    expect(plain(snapshot.statistics('lineno'))).toEqual(
      plain([st(tbB1, 66, 1), st(tbA2, 30, 3), st(tb0, 7, 1), st(tbA5, 2, 1)]),
    );
    expect(plain(snapshot2.statistics('lineno'))).toEqual(
      plain([st(tbA5, 5002, 2), st(tbC578, 400, 1), st(tbA2, 30, 3)]),
    );
    expect(plainDiff(snapshot2.compareTo(snapshot, 'lineno'))).toEqual(
      plainDiff([
        sd(tbA5, 5002, 5000, 2, 1),
        sd(tbC578, 400, 400, 1, 1),
        sd(tbB1, 0, -66, 0, -1),
        sd(tb0, 0, -7, 0, -1),
        sd(tbA2, 30, 0, 3, 0),
      ]),
    );
  });

  it('test_snapshot_group_by_file', () => {
    const [snapshot, snapshot2] = createSnapshots();
    const tb0 = tbFilename('<unknown>');
    const tbA = tbFilename('a.py');
    const tbB = tbFilename('b.py');
    const tbC = tbFilename('c.py');
    expect(plain(snapshot.statistics('filename'))).toEqual(
      plain([st(tbB, 66, 1), st(tbA, 32, 4), st(tb0, 7, 1)]),
    );
    expect(plain(snapshot2.statistics('filename'))).toEqual(plain([st(tbA, 5032, 5), st(tbC, 400, 1)]));
    expect(plainDiff(snapshot2.compareTo(snapshot, 'filename'))).toEqual(
      plainDiff([
        sd(tbA, 5032, 5000, 5, 1),
        sd(tbC, 400, 400, 1, 1),
        sd(tbB, 0, -66, 0, -1),
        sd(tb0, 0, -7, 0, -1),
      ]),
    );
  });

  it('test_snapshot_group_by_traceback', () => {
    const [snapshot, snapshot2] = createSnapshots();
    const tb1 = raw(['a.py', 2], ['b.py', 4]);
    const tb2 = raw(['a.py', 5], ['b.py', 4]);
    const tb3 = raw(['b.py', 1]);
    const tb4 = raw(['<unknown>', 0]);
    const tb5 = raw(['c.py', 578]);
    expect(plain(snapshot.statistics('traceback'))).toEqual(
      plain([st(tb3, 66, 1), st(tb1, 30, 3), st(tb4, 7, 1), st(tb2, 2, 1)]),
    );
    expect(plain(snapshot2.statistics('traceback'))).toEqual(
      plain([st(tb2, 5002, 2), st(tb5, 400, 1), st(tb1, 30, 3)]),
    );
    expect(plainDiff(snapshot2.compareTo(snapshot, 'traceback'))).toEqual(
      plainDiff([
        sd(tb2, 5002, 5000, 2, 1),
        sd(tb5, 400, 400, 1, 1),
        sd(tb3, 0, -66, 0, -1),
        sd(tb4, 0, -7, 0, -1),
        sd(tb1, 30, 0, 3, 0),
      ]),
    );
    // CPython: ValueError
    expect(thrownBy(() => snapshot.statistics('traceback', true))).toBeInstanceOf(InvalidArgumentError);
  });

  it('test_snapshot_group_by_cumulative', () => {
    const [snapshot] = createSnapshots();
    expect(plain(snapshot.statistics('filename', true))).toEqual(
      plain([
        st(tbFilename('b.py'), 98, 5),
        st(tbFilename('a.py'), 32, 4),
        st(tbFilename('<unknown>'), 7, 1),
      ]),
    );
    expect(plain(snapshot.statistics('lineno', true))).toEqual(
      plain([
        st(tbLineno('b.py', 1), 66, 1),
        st(tbLineno('b.py', 4), 32, 4),
        st(tbLineno('a.py', 2), 30, 3),
        st(tbLineno('<unknown>', 0), 7, 1),
        st(tbLineno('a.py', 5), 2, 1),
      ]),
    );
  });

  it('rejects unknown key types, as _group_by raises ValueError', () => {
    const [snapshot] = createSnapshots();
    for (const bad of ['line', '', null, 1]) {
      const error = thrownBy(() => snapshot.statistics(bad as never));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toMatch(/^unknown keyType/);
      expect(thrownBy(() => snapshot.compareTo(snapshot, bad as never))).toBeInstanceOf(InvalidArgumentError);
    }
    expect(thrownBy(() => snapshot.statistics('lineno', 'yes' as never))).toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(thrownBy(() => snapshot.compareTo({} as never, 'lineno'))).toBeInstanceOf(InvalidArgumentError);
  });

  it('test_trace_format', () => {
    const [snapshot] = createSnapshots();
    const t = snapshot.traces[0]!;
    expect(String(t)).toBe('b.py:4: 10 B');
    expect(String(t.traceback)).toBe('b.py:4');
    expect(String(t.traceback.frames[0])).toBe('b.py:4');
  });

  it('test_statistic_format', () => {
    const [snapshot] = createSnapshots();
    expect(String(snapshot.statistics('lineno')[0])).toBe('b.py:1: size=66 B, count=1, average=66 B');
  });

  it('test_statistic_diff_format', () => {
    const [snapshot, snapshot2] = createSnapshots();
    expect(String(snapshot2.compareTo(snapshot, 'lineno')[0])).toBe(
      'a.py:5: size=5002 B (+5000 B), count=2 (+1), average=2501 B',
    );
  });

  it('test_slices', () => {
    const [snapshot] = createSnapshots();
    expect(snapshot.traces.slice(0, 2)).toEqual([snapshot.traces[0], snapshot.traces[1]]);
    const tb = snapshot.traces[0]!.traceback;
    expect(tb.frames.slice(0, 2)).toEqual([tb.at(0), tb.at(1)]);
    expect(tb.at(-1)).toEqual(new Frame('a.py', 2));
    expect(tb.length).toBe(2);
    expect(tb.totalNframe).toBe(2);
  });

  it('test_format_traceback', () => {
    const [snapshot] = createSnapshots();
    const getline = (filename: string, lineno: number) => `  <${filename}, ${lineno}>`;
    const tb = snapshot.traces[0]!.traceback;
    expect(tb.format(null, false, getline)).toEqual([
      '  File "b.py", line 4',
      '    <b.py, 4>',
      '  File "a.py", line 2',
      '    <a.py, 2>',
    ]);
    expect(tb.format(1, false, getline)).toEqual(['  File "a.py", line 2', '    <a.py, 2>']);
    expect(tb.format(-1, false, getline)).toEqual(['  File "b.py", line 4', '    <b.py, 4>']);
    expect(tb.format(null, true, getline)).toEqual([
      '  File "a.py", line 2',
      '    <a.py, 2>',
      '  File "b.py", line 4',
      '    <b.py, 4>',
    ]);
    expect(tb.format(1, true, getline)).toEqual(['  File "a.py", line 2', '    <a.py, 2>']);
    expect(tb.format(-1, true, getline)).toEqual(['  File "b.py", line 4', '    <b.py, 4>']);
    // Without getLine, only the File lines (CPython prints nothing for a line it cannot read).
    expect(tb.format()).toEqual(['  File "b.py", line 4', '  File "a.py", line 2']);
  });
});

describe('TestFilters', () => {
  it('test_filter_attributes', () => {
    const f = new Filter(true, 'abc');
    expect([f.inclusive, f.filenamePattern, f.lineno, f.allFrames, f.domain]).toEqual([
      true,
      'abc',
      null,
      false,
      null,
    ]);
    const g = new Filter(false, 'test.py', 123, true);
    expect([g.inclusive, g.filenamePattern, g.lineno, g.allFrames]).toEqual([false, 'test.py', 123, true]);
    // read-only attribute (TypeScript's readonly; at run time the value is a plain field)
  });

  it('test_filter_match', () => {
    const cases: [Filter, [string, number, boolean][]][] = [
      // filter without line number
      [
        new Filter(true, 'abc'),
        [
          ['abc', 0, true],
          ['abc', 5, true],
          ['abc', 10, true],
          ['12356', 0, false],
          ['12356', 5, false],
          ['12356', 10, false],
        ],
      ],
      [
        new Filter(false, 'abc'),
        [
          ['abc', 0, false],
          ['abc', 5, false],
          ['abc', 10, false],
          ['12356', 0, true],
          ['12356', 5, true],
          ['12356', 10, true],
        ],
      ],
      // filter with line number > 0
      [
        new Filter(true, 'abc', 5),
        [
          ['abc', 0, false],
          ['abc', 5, true],
          ['abc', 10, false],
          ['12356', 0, false],
          ['12356', 5, false],
          ['12356', 10, false],
        ],
      ],
      [
        new Filter(false, 'abc', 5),
        [
          ['abc', 0, true],
          ['abc', 5, false],
          ['abc', 10, true],
          ['12356', 0, true],
          ['12356', 5, true],
          ['12356', 10, true],
        ],
      ],
      // filter with line number 0
      [
        new Filter(true, 'abc', 0),
        [
          ['abc', 0, true],
          ['abc', 5, false],
          ['abc', 10, false],
          ['12356', 0, false],
          ['12356', 5, false],
          ['12356', 10, false],
        ],
      ],
      [
        new Filter(false, 'abc', 0),
        [
          ['abc', 0, false],
          ['abc', 5, true],
          ['abc', 10, true],
          ['12356', 0, true],
          ['12356', 5, true],
          ['12356', 10, true],
        ],
      ],
    ];
    for (const [filter, frames] of cases) {
      for (const [filename, lineno, expected] of frames) {
        expect(
          filter.matchFrame(filename, lineno),
          `${filter.inclusive} ${filter.lineno} ${filename}:${lineno}`,
        ).toBe(expected);
      }
    }
  });

  it('test_filter_match_filename', () => {
    const fnmatch = (inclusive: boolean, filename: string, pattern: string) =>
      new Filter(inclusive, pattern).matchFrame(filename, 0);
    expect(fnmatch(true, 'abc', 'abc')).toBe(true);
    expect(fnmatch(true, '12356', 'abc')).toBe(false);
    expect(fnmatch(true, '<unknown>', 'abc')).toBe(false);
    expect(fnmatch(false, 'abc', 'abc')).toBe(false);
    expect(fnmatch(false, '12356', 'abc')).toBe(true);
    expect(fnmatch(false, '<unknown>', 'abc')).toBe(true);
  });

  it('test_filter_match_filename_joker', () => {
    const fnmatch = (filename: string, pattern: string) => new Filter(true, pattern).matchFrame(filename, 0);
    // empty string
    expect(fnmatch('abc', '')).toBe(false);
    expect(fnmatch('', 'abc')).toBe(false);
    expect(fnmatch('', '')).toBe(true);
    expect(fnmatch('', '*')).toBe(true);
    // no *
    expect(fnmatch('abc', 'abc')).toBe(true);
    expect(fnmatch('abc', 'abcd')).toBe(false);
    expect(fnmatch('abc', 'def')).toBe(false);
    // a*
    expect(fnmatch('abc', 'a*')).toBe(true);
    expect(fnmatch('abc', 'abc*')).toBe(true);
    expect(fnmatch('abc', 'b*')).toBe(false);
    expect(fnmatch('abc', 'abcd*')).toBe(false);
    // a*b
    expect(fnmatch('abc', 'a*c')).toBe(true);
    expect(fnmatch('abcdcx', 'a*cx')).toBe(true);
    expect(fnmatch('abb', 'a*c')).toBe(false);
    expect(fnmatch('abcdce', 'a*cx')).toBe(false);
    // a*b*c
    expect(fnmatch('abcde', 'a*c*e')).toBe(true);
    expect(fnmatch('abcbdefeg', 'a*bd*eg')).toBe(true);
    expect(fnmatch('abcdd', 'a*c*e')).toBe(false);
    expect(fnmatch('abcbdefef', 'a*bd*eg')).toBe(false);
    // case sensitive (CPython on POSIX; Windows' normcase is not mirrored)
    expect(fnmatch('aBC', 'ABc')).toBe(false);
    expect(fnmatch('aBcDe', 'Ab*dE')).toBe(false);
    // no alternate separator: / and \ are different characters
    expect(fnmatch('a/b', 'a\\b')).toBe(false);
    expect(fnmatch('a\\b', 'a/b')).toBe(false);
    expect(fnmatch('a/b\\c', 'a\\b/c')).toBe(false);
    expect(fnmatch('a/b/c', 'a\\b\\c')).toBe(false);
    // CPython maps .pyc to .py (`_normalize_filename`); JS has no compiled-file suffix to fold.
    expect(fnmatch('a.pyc', 'a.py')).toBe(false);
    expect(fnmatch('a.pyo', 'a.py')).toBe(false);
  });

  it('test_filter_match_trace', () => {
    const t1 = [
      ['a.py', 2],
      ['b.py', 3],
    ] as const;
    const t2 = [
      ['b.py', 4],
      ['b.py', 5],
    ] as const;
    const t3 = [
      ['c.py', 5],
      ['<unknown>', 0],
    ] as const;
    const unknown = [['<unknown>', 0]] as const;
    const check = (f: Filter, expected: [boolean, boolean, boolean, boolean]) => {
      const got = [t1, t2, t3, unknown].map((t) => f.matchTraceback(t));
      expect(got, `${f.inclusive} ${f.filenamePattern} allFrames=${f.allFrames}`).toEqual(expected);
      // The same through match() on a Trace built from the raw frames.
      expect([t1, t2, t3, unknown].map((t) => f.match(trace(0, 1, t)))).toEqual(expected);
    };
    check(new Filter(true, 'b.py', null, true), [true, true, false, false]);
    check(new Filter(true, 'b.py', null, false), [false, true, false, false]);
    check(new Filter(false, 'b.py', null, true), [false, false, true, true]);
    check(new Filter(false, 'b.py', null, false), [true, false, true, true]);
    check(new Filter(false, '<unknown>', null, false), [true, true, true, false]);
    check(new Filter(true, '<unknown>', null, true), [false, false, true, true]);
    check(new Filter(false, '<unknown>', null, true), [true, true, false, false]);
  });

  it('rejects bad filter arguments with InvalidFilterError', () => {
    const bad: [() => unknown, RegExp][] = [
      [() => new Filter(true, 42 as never), /filenamePattern must be a string, not number 42/],
      [() => new Filter(true, null as never), /filenamePattern must be a string, not null/],
      [() => new Filter(true, 'a\u0000b'), /contains a NUL character/],
      [() => new Filter('yes' as never, 'a'), /inclusive must be a boolean/],
      [() => new Filter(true, 'a', -1), /lineno must be null or a non-negative integer, not number -1/],
      [() => new Filter(true, 'a', 1.5), /lineno must be null or a non-negative integer/],
      [
        () => new Filter(true, 'a', '3' as never),
        /lineno must be null or a non-negative integer, not the string "3"/,
      ],
      [() => new Filter(true, 'a', null, 1 as never), /allFrames must be a boolean/],
      [() => new Filter(true, 'a', null, false, 70000), /domain must be an integer in 0..65535/],
      [() => new DomainFilter(true, -1), /domain must be an integer in 0..65535, not number -1/],
      [() => new DomainFilter(true, '1' as never), /domain must be an integer/],
      [() => new DomainFilter(0 as never, 1), /inclusive must be a boolean/],
    ];
    for (const [make, message] of bad) {
      const error = thrownBy(make);
      expect(error).toBeInstanceOf(InvalidFilterError);
      expect(error.message).toMatch(message);
    }
    const [snapshot] = createSnapshots();
    const error = thrownBy(() => snapshot.filterTraces([new Filter(true, 'a'), 'b.py' as never]));
    expect(error).toBeInstanceOf(InvalidFilterError);
    expect(error.message).toBe(
      'filterTraces: filters[1] must be a Filter or a DomainFilter, not the string "b.py"',
    );
    expect(thrownBy(() => snapshot.filterTraces(null as never)).message).toMatch(
      /must be an array of filters, not null/,
    );
  });
});
