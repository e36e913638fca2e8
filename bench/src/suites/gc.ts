/**
 * The cycle collector (`@heapkit/gc-generational`, issue 4's benchmark) against CPython 3.11's
 * `gc` on the same object graphs, and what automatic collection costs a program that makes no
 * cycles, side by side in one run. Every object is a binary-trees Node (two reference slots) of a
 * GC-tracked type; in CPython, a class with `__slots__ = ("left", "right")`. One operation is:
 *
 * - `cycles-collect`: one `collect()` over 1,000,000 objects in 2-cycles (500,000 pairs,
 *   a.left = b and b.left = a, nothing else refers to them): all garbage, found, cleared and
 *   freed by reference counting within the call. The case's `setup` builds the pairs before
 *   each call, untimed, with automatic collection off so that none is collected early.
 * - `full-live`: one `collect(2)` over 1,000,000 live objects (a complete binary tree held by one
 *   reference from outside) and nothing to free: the cost of proving everything reachable. The
 *   tree is built once, bottom-up; a collection leaves its survivors in the order its scan
 *   reached them (root first), so from the second call on the scan never has to move a node to
 *   the tentatively-unreachable list and back (in CPython too).
 * - `cpython-cycles-collect`, `cpython-full-live`: the same graphs and `gc.collect()` in CPython
 *   (`bench/python/gc_collect.py`), in their own processes.
 * - `binary-trees-gc-on`, `binary-trees-gc-off`: one binary-trees program run (`heapkitProgram`
 *   of binary-trees.ts) with Node GC-tracked, automatic collection on (thresholds 2000/10/10, at
 *   allocation) and off (`disable()`). Every node is tracked in both (linked into generation 0
 *   at `alloc`, unlinked at free), so the difference is the automatic collections.
 *
 * The cases do different work, so the subject's throughput ratios are not reported
 * (`subjectRatios: false`); the targets are slowdowns, case time ÷ baseline time at the
 * medians (issue 14's targets): `cycles-collect` at most 0.7× CPython's, `full-live` at most
 * 0.85×, binary-trees with collection on at most 1.15× off, with the default schedule and with
 * `scaleYoungThreshold` (`binary-trees-gc-on-scaled`: young collections also wait for a
 * quarter of what the last full collection kept, as CPython 3.13+'s free-threaded build does).
 *
 * Memory: the peak footprint of one binary-trees run with collection on and off (the
 * collector's memory during a workload, issue 6).
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { CycleCollector } from '@heapkit/gc-generational';
import { ObjectSpace } from '@heapkit/refcount';
import { byMode } from '../modes.js';
import { pythonPeer } from '../peers/python.js';
import type { BenchCase, ExternalCase, MemoryFigure, MemoryReport, Suite, SuiteContext } from '../suite.js';
import {
  expectedCheck,
  heapkitProgram,
  LEFT,
  maxDepthFor,
  NODE_TYPE,
  RIGHT,
  treeNodes,
} from './binary-trees.js';

const CYCLES = 'cycles-collect';
const FULL_LIVE = 'full-live';
const CPYTHON_CYCLES = 'cpython-cycles-collect';
const CPYTHON_FULL_LIVE = 'cpython-full-live';
const TREES_GC_ON = 'binary-trees-gc-on';
const TREES_GC_OFF = 'binary-trees-gc-off';
const TREES_GC_SCALED = 'binary-trees-gc-on-scaled';

/** The sizes: 500,000 pairs of garbage, 1,000,000 live objects. */
const PAIRS_FULL = 500_000;
const LIVE_FULL = 1_000_000;

function pairsFor(ctx: Pick<SuiteContext, 'mode'>): number {
  return byMode(ctx.mode, { full: PAIRS_FULL, quick: 100_000, tiny: 1_000 });
}

function liveFor(ctx: Pick<SuiteContext, 'mode'>): number {
  return byMode(ctx.mode, { full: LIVE_FULL, quick: 200_000, tiny: 2_000 });
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function wrong(name: string, what: string, got: number, expected: number): never {
  throw new Error(`gc: ${name} ${what} ${got}, expected ${expected}`);
}

/** A fresh space over a fresh allocator, its collector, and Node as a GC-tracked type. */
function gcSpace(scaleYoungThreshold = false): {
  allocator: ArenaAllocator;
  space: ObjectSpace;
  gc: CycleCollector;
  nodeType: number;
} {
  const allocator = new ArenaAllocator();
  const space = new ObjectSpace(allocator);
  const gc = new CycleCollector(space, { scaleYoungThreshold });
  const nodeType = space.registerType({ ...NODE_TYPE, gc: true }).id;
  return { allocator, space, gc, nodeType };
}

/** After the rounds: every case released all it made (acyclic trees, collected cycles). */
function checkEmpty(name: string, space: ObjectSpace): void {
  const live = space.liveObjects();
  if (live !== 0) throw new Error(`gc: ${name} left ${live} live objects after the rounds`);
  space.clearFreeLists();
}

// ---------------------------------------------------------------------------------------------
// (a) cycles-collect: one collect() over pairs of garbage, rebuilt before each call (untimed).

function cyclesCase(pairs: number): { case: BenchCase; teardown: () => void } {
  const { space, gc, nodeType } = gcSpace();
  gc.disable(); // the pairs wait for the timed collect()
  const expected = 2 * pairs;
  return {
    case: {
      name: CYCLES,
      description:
        `collect() finding ${count(expected)} objects in 2-cycles (a.left = b, b.left = a), all garbage: ` +
        'cleared and freed by refcounting in the call; the pairs are built before each call, untimed',
      setup: () => {
        for (let i = 0; i < pairs; i++) {
          const a = space.alloc(nodeType);
          const b = space.alloc(nodeType);
          space.setRef(a, LEFT, b);
          space.setRef(b, LEFT, a);
          space.decref(a);
          space.decref(b);
        }
      },
      run: () => {
        const found = gc.collect();
        if (found !== expected) wrong(CYCLES, 'collect() found', found, expected);
      },
    },
    teardown: () => checkEmpty(CYCLES, space),
  };
}

// ---------------------------------------------------------------------------------------------
// (b) full-live: collect(2) over a live tree, nothing to free.

function fullLiveCase(objects: number): { case: BenchCase; teardown: () => void } {
  const { space, gc, nodeType } = gcSpace();
  gc.disable(); // as in the CPython peer; only the timed collect(2) runs
  // A complete binary tree in heap order (node i's children are 2i + 1 and 2i + 2), built
  // bottom-up: each node takes over the references `alloc` returned for its children.
  const nodes = new Uint32Array(objects);
  for (let i = objects - 1; i >= 0; i--) {
    const node = space.alloc(nodeType);
    const left = 2 * i + 1;
    if (left < objects) space.setRefSteal(node, LEFT, nodes[left]!);
    if (left + 1 < objects) space.setRefSteal(node, RIGHT, nodes[left + 1]!);
    nodes[i] = node;
  }
  const root = nodes[0]!; // the reference from outside, held until the teardown
  return {
    case: {
      name: FULL_LIVE,
      description: `collect(2) over ${count(objects)} live objects (a complete binary tree held from outside): nothing to free`,
      run: () => {
        const found = gc.collect(2);
        if (found !== 0) wrong(FULL_LIVE, 'collect(2) found', found, 0);
      },
    },
    teardown: () => {
      space.decref(root);
      checkEmpty(FULL_LIVE, space);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// (c) binary-trees with automatic collection on and off. Both cases run the very same code
// (`heapkitProgram`), over spaces that differ only in the collector's switch.

function treesCase(
  name: string,
  automatic: boolean,
  maxDepth: number,
  expected: number,
  scaled = false,
): { case: BenchCase; teardown: () => void } {
  const { space, gc, nodeType } = gcSpace(scaled);
  if (!automatic) gc.disable();
  return {
    case: {
      name,
      description: !automatic
        ? 'the same with automatic collection off (disable()): tracking only, no collection'
        : scaled
          ? 'the same with automatic collection on and scaleYoungThreshold (young collections wait for a quarter of the long-lived objects, CPython 3.13+ free-threaded)'
          : 'binary-trees program run, Node GC-tracked, automatic collection on (thresholds 2000/10/10, at allocation)',
      run: () => {
        const total = heapkitProgram(space, nodeType, maxDepth);
        if (total !== expected) wrong(name, `at depth ${maxDepth} checked`, total, expected);
      },
    },
    teardown: () => checkEmpty(name, space),
  };
}

// ---------------------------------------------------------------------------------------------
// cpython: bench/python/gc_collect.py, one process per shape.

function cpythonCyclesCase(ctx: SuiteContext, pairs: number): ExternalCase {
  return pythonPeer(ctx, {
    name: CPYTHON_CYCLES,
    description:
      `gc.collect() finding ${count(2 * pairs)} objects in 2-cycles of a __slots__ class, all garbage; ` +
      'built before each call, untimed, with gc disabled and the interpreter’s own objects frozen',
    script: 'gc_collect.py',
    inputs: {},
    params: { shape: 'cycles', pairs },
  });
}

function cpythonFullLiveCase(ctx: SuiteContext, objects: number): ExternalCase {
  return pythonPeer(ctx, {
    name: CPYTHON_FULL_LIVE,
    description:
      `gc.collect() over ${count(objects)} live __slots__ objects (the same tree), nothing to free; ` +
      'the interpreter’s own objects frozen',
    script: 'gc_collect.py',
    inputs: {},
    params: { shape: 'live', objects },
  });
}

// ---------------------------------------------------------------------------------------------
// Memory: the peak footprint of one binary-trees run, with automatic collection on and off.

function measureMemory(ctx: SuiteContext): MemoryReport {
  const maxDepth = maxDepthFor(ctx);
  const expected = expectedCheck(maxDepth);
  const blocks = treeNodes(maxDepth + 1); // the stretch tree: the peak of live nodes
  const nodeBytes = gcNodeSize();
  const requested = blocks * nodeBytes;
  return {
    description:
      `peak of one binary-trees run at depth ${maxDepth}, Node GC-tracked: the stretch tree's ` +
      `${count(blocks)} nodes of ${nodeBytes} B (with the GC pre-header); footprint ÷ their bytes`,
    blocks,
    requestedBytes: requested,
    note: maxDepth === maxDepthFor({ mode: 'full' }) ? null : `${ctx.mode} mode: depth ${maxDepth}`,
    figures: [
      treesMemory(TREES_GC_ON, true, maxDepth, expected, requested),
      treesMemory(TREES_GC_SCALED, true, maxDepth, expected, requested, true),
      treesMemory(TREES_GC_OFF, false, maxDepth, expected, requested),
    ],
  };
}

/** A GC-tracked Node's size as `sys.getsizeof` counts it: pre-header, header and payload. */
function gcNodeSize(): number {
  const { space, nodeType } = gcSpace();
  const node = space.alloc(nodeType);
  const bytes = space.getSizeOf(node);
  space.decref(node);
  return bytes;
}

function treesMemory(
  name: string,
  automatic: boolean,
  maxDepth: number,
  expected: number,
  requested: number,
  scaled = false,
): MemoryFigure {
  const { allocator, space, gc, nodeType } = gcSpace(scaled);
  if (!automatic) gc.disable();
  const total = heapkitProgram(space, nodeType, maxDepth);
  if (total !== expected) wrong(name, `at depth ${maxDepth} checked`, total, expected);
  // The memory never shrinks: its footprint after the run is the run's peak.
  const bytes = allocator.stats().footprintBytes;
  const collections = gc.getStats().map((s) => s.collections);
  const sum = collections.reduce((a, b) => a + b, 0);
  return {
    case: name,
    footprintBytes: bytes,
    ratio: bytes / requested,
    maxRatio: null,
    note:
      'stats().footprintBytes after one run in a fresh space (its peak); ' +
      (automatic
        ? `${count(sum)} automatic collections in the run (by generation: ${collections.join(' / ')})`
        : 'no collection'),
  };
}

export const gc: Suite = {
  name: 'gc',
  description:
    'Cycle collector vs CPython’s gc: collect() of 1,000,000 objects in 2-cycles, collect(2) over 1,000,000 live ones ' +
    '(200,000 in --quick); binary-trees with automatic collection on ÷ off',
  opName: 'op',
  subject: CYCLES,
  targets: [],
  subjectRatios: false,
  slowdowns: [
    { case: CYCLES, baseline: CPYTHON_CYCLES, maxRatio: 0.7 },
    { case: FULL_LIVE, baseline: CPYTHON_FULL_LIVE, maxRatio: 0.85 },
    { case: TREES_GC_ON, baseline: TREES_GC_OFF, maxRatio: 1.15 },
    { case: TREES_GC_SCALED, baseline: TREES_GC_OFF, maxRatio: 1.15 },
  ],
  createCases(ctx) {
    const pairs = pairsFor(ctx);
    const objects = liveFor(ctx);
    const maxDepth = maxDepthFor(ctx);
    const expected = expectedCheck(maxDepth);
    const parts = [
      cyclesCase(pairs),
      fullLiveCase(objects),
      treesCase(TREES_GC_ON, true, maxDepth, expected),
      treesCase(TREES_GC_SCALED, true, maxDepth, expected, true),
      treesCase(TREES_GC_OFF, false, maxDepth, expected),
    ];
    return {
      opsPerCall: 1,
      cases: parts.map((p) => p.case),
      external: [cpythonCyclesCase(ctx, pairs), cpythonFullLiveCase(ctx, objects)],
      teardown: () => {
        for (const p of parts) p.teardown();
      },
    };
  },
  measureMemory,
};
