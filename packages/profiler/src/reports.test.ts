import { Profile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import {
  type FlameNode,
  flameDiffTree,
  flameGraphDiffHtml,
  flameGraphHtml,
  flameTree,
} from './flamegraph.js';
import { formatSize } from './format-size.js';
import { Frame, Traceback } from './frame.js';
import { toPprof } from './pprof.js';
import { formatTop, formatTopDiff } from './report-top.js';
import { Snapshot } from './snapshot.js';
import { createSnapshots } from './test-support/cpython-snapshots.js';
import { thrownBy } from './test-support/thrown-by.js';
import { Trace } from './trace.js';

describe('formatSize (tracemalloc._format_size; expected values printed by CPython 3.11)', () => {
  it('prints sizes as CPython does', () => {
    expect(
      [0, 66, 10239, 10240, 12345, 102400, 10 * 1024 * 1024, 5 * 2 ** 40, 2.5, 3.5].map((n) => formatSize(n)),
    ).toEqual([
      '0 B',
      '66 B',
      '10239 B',
      '10.0 KiB',
      '12.1 KiB',
      '100 KiB',
      '10.0 MiB',
      '5120 GiB', // checked against CPython 3.11's tracemalloc._format_size
      '2 B', // %.0f rounds half to even
      '4 B',
    ]);
    expect([5000, -66, 0, -20480].map((n) => formatSize(n, true))).toEqual([
      '+5000 B',
      '-66 B',
      '+0 B',
      '-20.0 KiB',
    ]);
  });
});

describe('top reports', () => {
  it('lists the largest places with size, count, average, the rest and the total', () => {
    const [snapshot] = createSnapshots();
    const text = formatTop(snapshot, { limit: 2 });
    expect(text.split('\n')).toEqual([
      'Top 2 places by lineno; 6 traces, exact',
      '#  size  count  average  location',
      '1  66 B      1     66 B  b.py:1',
      '2  30 B      3     10 B  a.py:2',
      '2 other: 9 B in 2 blocks',
      'Total allocated size: 105 B',
      '',
    ]);
    const tb = formatTop(snapshot, { keyType: 'traceback', limit: 1 });
    expect(tb).toContain('1  66 B      1     66 B  b.py:1\n        File "b.py", line 1\n');
    expect(formatTop(snapshot, { keyType: 'filename', cumulative: true })).toContain(
      'Top 10 places by filename (cumulative)',
    );
  });

  it('lists the largest changes', () => {
    const [snapshot, snapshot2] = createSnapshots();
    const text = formatTopDiff(snapshot2, snapshot, { limit: 2 });
    expect(text.split('\n')).toEqual([
      'Top 2 differences by lineno; 6 traces, exact',
      '#    size   change  count  change  location',
      '1  5002 B  +5000 B      2      +1  a.py:5',
      '2   400 B   +400 B      1      +1  c.py:578',
      '3 other: -73 B',
      'Total change: +5327 B',
      '',
    ]);
  });

  it('rejects bad options', () => {
    const [snapshot] = createSnapshots();
    expect(thrownBy(() => formatTop(snapshot, { limit: 0 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrownBy(() => formatTop(snapshot, { keyType: 'x' as never }))).toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(
      thrownBy(() => formatTopDiff(snapshot, snapshot, { keyType: 'traceback', cumulative: true })),
    ).toBeInstanceOf(InvalidArgumentError);
  });

  it('says when figures are estimates', () => {
    const s = new Snapshot([new Trace(0, 10, new Traceback([new Frame('a', 1)]), 3.5)], 1, 524288);
    expect(formatTop(s)).toContain('sampled every 512 KiB on average: sizes and counts are estimates');
    expect(s.statistics('lineno')[0]!.size).toBe(35);
    expect(s.statistics('lineno')[0]!.count).toBe(4); // 3.5 rounded
  });
});

describe('pprof export', () => {
  it('decodes back to inuse_objects/inuse_space samples with leaf-first stacks', () => {
    const [snapshot] = createSnapshots();
    const bytes = toPprof(snapshot);
    const profile = Profile.decode(bytes);
    const str = (i: unknown) => profile.stringTable.strings[Number(i)]!;
    expect(profile.sampleType.map((t) => [str(t.type), str(t.unit)])).toEqual([
      ['inuse_objects', 'count'],
      ['inuse_space', 'bytes'],
    ]);
    expect(str(profile.defaultSampleType)).toBe('inuse_space');
    const locations = new Map(profile.location.map((l) => [Number(l.id), l]));
    const functions = new Map(profile.function.map((f) => [Number(f.id), f]));
    const stack = (ids: readonly unknown[]) =>
      ids.map((id) => {
        const line = locations.get(Number(id))!.line[0]!;
        return `${str(functions.get(Number(line.functionId))!.filename)}:${Number(line.line)}`;
      });
    const samples = profile.sample.map((s) => [stack(s.locationId), s.value.map(Number)]);
    expect(samples).toEqual([
      [['b.py:1'], [1, 66]],
      [
        ['a.py:2', 'b.py:4'],
        [3, 30],
      ],
      [['<unknown>:0'], [1, 7]],
      [
        ['a.py:5', 'b.py:4'],
        [1, 2],
      ],
    ]);
    // one location per (file, line), one function per file
    expect(profile.location.length).toBe(5);
    expect(profile.function.map((f) => str(f.name)).sort()).toEqual(['<unknown>', 'a.py', 'b.py']);
  });
});

describe('flame graphs', () => {
  const sum = (n: FlameNode): number => n.children.reduce((a, c) => a + c.value, 0);
  it('builds a tree whose widths add up, oldest frame at the top', () => {
    const [snapshot] = createSnapshots();
    const tree = flameTree(snapshot);
    expect(tree.value).toBe(105);
    expect(sum(tree)).toBe(105);
    expect(tree.children.map((c) => [c.name, c.value])).toEqual(
      [
        ['b.py:4', 32],
        ['b.py:1', 66],
        ['<unknown>:0', 7],
      ].sort((a, b) => (b[1] as number) - (a[1] as number)),
    );
    const b4 = tree.children.find((c) => c.name === 'b.py:4')!;
    expect(b4.children.map((c) => [c.name, c.value])).toEqual([
      ['a.py:2', 30],
      ['a.py:5', 2],
    ]);
  });

  it('builds a diff tree: width max(old, new), diff new - old', () => {
    const [snapshot, snapshot2] = createSnapshots();
    const tree = flameDiffTree(snapshot2, snapshot);
    expect(tree.diff).toBe(5432 - 105);
    const b4 = tree.children.find((c) => c.name === 'b.py:4')!;
    expect([b4.value, b4.diff]).toEqual([5032, 5000]);
    const gone = tree.children.find((c) => c.name === 'b.py:1')!;
    expect([gone.value, gone.diff]).toEqual([66, -66]);
  });

  it('writes one self-contained page with the data embedded and no external resource', () => {
    const evil = new Snapshot([new Trace(0, 8, new Traceback([new Frame('</script><b>x</b>', 1)]))], 1);
    for (const html of [flameGraphHtml(evil, { title: '<t>' }), flameGraphDiffHtml(evil, evil)]) {
      expect(html.startsWith('<!doctype html>')).toBe(true);
      expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/)/);
      expect(html.match(/<\/script>/g)!.length).toBe(2); // only the page's own two scripts end
      expect(html).toContain("default-src 'none'");
    }
    expect(flameGraphHtml(evil, { title: '<t>' })).toContain('<title>&#60;t&#62;</title>');
  });
});
