/**
 * The gc suite does the issue's work in every case: the sizes per mode, the in-process cases'
 * calls (each verifying what the collection found, every case leaving no object behind), the
 * memory figures, and the CPython script's shapes and protocol when `python3` is here. Never
 * asserts a time.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PYTHON_DIR } from '../peers/python.js';
import type { SuiteContext } from '../suite.js';
import { treeNodes } from './binary-trees.js';
import { gc } from './gc.js';

const tiny: SuiteContext = { mode: 'tiny', seed: 1, env: {} };

describe('gc', () => {
  it('declares its slowdown targets and no subject ratios', () => {
    expect(gc.subjectRatios).toBe(false);
    expect(gc.targets).toEqual([]);
    expect(gc.slowdowns).toEqual([
      { case: 'cycles-collect', baseline: 'cpython-cycles-collect', maxRatio: 0.7 },
      { case: 'full-live', baseline: 'cpython-full-live', maxRatio: 0.85 },
      { case: 'binary-trees-gc-on', baseline: 'binary-trees-gc-off', maxRatio: 1.15 },
      { case: 'binary-trees-gc-on-scaled', baseline: 'binary-trees-gc-off', maxRatio: 1.15 },
    ]);
  });

  it('runs every in-process case, setup before each call, and leaves nothing alive', () => {
    const set = gc.createCases(tiny);
    expect(set.opsPerCall).toBe(1);
    expect(set.cases.map((c) => c.name)).toEqual([
      'cycles-collect',
      'full-live',
      'binary-trees-gc-on',
      'binary-trees-gc-on-scaled',
      'binary-trees-gc-off',
    ]);
    expect(set.external?.map((c) => c.name)).toEqual(['cpython-cycles-collect', 'cpython-full-live']);
    for (const c of set.cases) {
      for (let call = 0; call < 3; call++) {
        c.setup?.();
        c.run(); // each call verifies what it found (or its check sum)
      }
    }
    expect(set.cases.map((c) => c.setup !== undefined)).toEqual([true, false, false, false, false]);
    expect(() => set.teardown?.()).not.toThrow();
  });

  it('checks what each collection found', () => {
    const set = gc.createCases(tiny);
    const cycles = set.cases[0]!;
    // Without its setup there is no garbage: the call says so instead of timing an empty collect.
    expect(() => cycles.run()).toThrow(/gc: cycles-collect collect\(\) found 0, expected 2000/);
    cycles.setup!();
    cycles.run();
    set.teardown!();
  });

  it('reports the peak footprint of a binary-trees run with collection on and off', () => {
    const memory = gc.measureMemory!(tiny);
    expect(memory.blocks).toBe(treeNodes(6 + 1));
    expect(memory.requestedBytes).toBe(memory.blocks * 32); // 16 B GC pre-header + 8 B header + 8 B
    expect(memory.note).toBe('tiny mode: depth 6');
    expect(memory.figures.map((f) => f.case)).toEqual([
      'binary-trees-gc-on',
      'binary-trees-gc-on-scaled',
      'binary-trees-gc-off',
    ]);
    for (const f of memory.figures) expect(f.footprintBytes).toBeGreaterThanOrEqual(memory.requestedBytes);
    expect(memory.figures[0]!.note).toMatch(
      /\d+ automatic collections in the run \(by generation: \d+ \/ \d+ \/ \d+\)/,
    );
  });
});

const hasPython = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!hasPython)('python/gc_collect.py (python3 is here)', () => {
  it('builds the same shapes: 2-cycles all found, a live tree none', () => {
    const code =
      'import gc, json, gc_collect as g\n' +
      'gc.disable(); gc.freeze()\n' +
      'g.make_pairs(1000); found = [gc.collect()]\n' +
      'root = g.complete_tree(2000); found.append(gc.collect())\n' +
      'n, todo = 0, [root]\n' +
      'while todo:\n' +
      '    x = todo.pop(); n += 1\n' +
      '    todo.extend(c for c in (x.left, x.right) if c is not None)\n' +
      'print(json.dumps(found + [n]))';
    const result = spawnSync('python3', ['-B', '-E', '-s', '-c', code], {
      cwd: PYTHON_DIR,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([2000, 0, 2000]);
  });

  it('runs both shapes through the protocol (the cycles rebuilt before every call)', async () => {
    const set = gc.createCases(tiny);
    try {
      for (const peer of set.external!) {
        const session = await peer.start();
        try {
          expect(session.description).toMatch(/\(CPython 3\.\d+\.\d+\)$/);
          await session.warmup(1);
          // Several calls in one round: each must find the pairs its setup built.
          const samples = await session.round(5, 4);
          expect(samples.length).toBeGreaterThanOrEqual(4);
        } finally {
          await session.close();
        }
      }
    } finally {
      set.teardown!();
    }
  });
});
