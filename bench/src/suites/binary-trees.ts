/**
 * binary-trees, the benchmarks game's allocation benchmark (issue 3's benchmark for
 * `@heapkit/refcount`), at depth 16: heapkit's refcounted objects against V8 objects, the same
 * program compiled by AssemblyScript (`bench/assembly/binary-trees.ts`) and, in its own process,
 * CPython (`bench/python/binary_trees.py`), and the hand-written limit of a checked refcounted heap
 * (`checked-int32-heap`: one node type over an `Int32Array`, inline counts, every operation
 * checked; `bench/src/peers/checked-int32-heap.ts`), which puts the distance to the limit on
 * the page.
 *
 * One operation is one whole program run at `maxDepth`, as the benchmarks game specifies it:
 *
 * 1. a stretch tree of depth maxDepth + 1 built, checked and released;
 * 2. a long-lived tree of depth maxDepth built;
 * 3. for d = 4, 6, ..., maxDepth: 2^(maxDepth - d + 4) trees of depth d, each built bottom-up
 *    (children before their parent), checked and released;
 * 4. the long-lived tree checked and released.
 *
 * A check (`itemCheck`) counts a tree's nodes; the sum of every check of the run is known in
 * advance ({@link expectedCheck}), and every case verifies it after each run and throws when it
 * differs, so no case can skip work. At depth 16 a run builds and frees 14,985,902 nodes; at
 * most 262,143 (the stretch tree) are live at once.
 *
 * Each case has its own functions (no shared factory), so every call site stays monomorphic.
 * The output lines of the original program are not printed (printing is not what is measured).
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { ObjectSpace, type TypeSpec } from '@heapkit/refcount';
import { byMode } from '../modes.js';
import { type BinaryTreesWasm, loadBinaryTreesWasm, wasmUnavailable } from '../peers/assemblyscript.js';
import { CheckedInt32Heap } from '../peers/checked-int32-heap.js';
import { pythonPeer } from '../peers/python.js';
import type {
  BenchCase,
  ExternalCase,
  MemoryFigure,
  MemoryReport,
  SkippedCase,
  Suite,
  SuiteContext,
} from '../suite.js';

/** The benchmarks game's smallest depth of the iterated trees (and of maxDepth). */
export const MIN_DEPTH = 4;
/** maxDepth per mode: the 16 in full mode. */
const MAX_DEPTH_FULL = 16;

const HEAPKIT = 'heapkit';
const V8_OBJECT = 'v8-object';
const ASSEMBLYSCRIPT = 'assemblyscript';
const CPYTHON = 'cpython';
const CHECKED = 'checked-int32-heap';

/**
 * The payload byte offsets of a heapkit node's two reference slots. The hot loops read the
 * module-local pair: an exported binding lives in a cell that V8 loads and checks for the TDZ
 * hole at every use (the `checked-int32-heap` peer's loops use module-local constants too).
 */
const LEFT_SLOT = 0;
const RIGHT_SLOT = 4;
export const LEFT = LEFT_SLOT;
export const RIGHT = RIGHT_SLOT;
/** A heapkit node's payload: two 32-bit reference slots. */
const NODE_PAYLOAD_BYTES = 8;
/** heapkit's Node type (the `gc` suite registers it with `gc: true`). */
export const NODE_TYPE: TypeSpec = { name: 'Node', size: NODE_PAYLOAD_BYTES, refs: [LEFT, RIGHT] };

/** The run's maxDepth in this mode. */
export function maxDepthFor(ctx: Pick<SuiteContext, 'mode'>): number {
  return byMode(ctx.mode, { full: MAX_DEPTH_FULL, quick: 12, tiny: 6 });
}

/** Nodes in a complete binary tree of `depth` levels below its root. */
export function treeNodes(depth: number): number {
  return 2 ** (depth + 1) - 1;
}

/** The sum of every check of one program run at `maxDepth`: the number of nodes checked. */
export function expectedCheck(maxDepth: number): number {
  let total = treeNodes(maxDepth + 1) + treeNodes(maxDepth);
  for (let depth = MIN_DEPTH; depth <= maxDepth; depth += 2) {
    total += 2 ** (maxDepth - depth + MIN_DEPTH) * treeNodes(depth);
  }
  return total;
}

function wrongCheck(name: string, maxDepth: number, got: number, expected: number): never {
  throw new Error(`binary-trees: ${name} at depth ${maxDepth} checked ${got} nodes, expected ${expected}`);
}

// ---------------------------------------------------------------------------------------------
// heapkit: a node is an object of type Node (8 B header + two reference slots).

/**
 * A complete tree of `depth` levels as a new reference: children first, each stored in its
 * parent's slot with `setRefSteal` (the parent takes over the reference `alloc` returned).
 */
function heapkitBottomUp(space: ObjectSpace, nodeType: number, depth: number): number {
  if (depth <= 0) return space.alloc(nodeType);
  const left = heapkitBottomUp(space, nodeType, depth - 1);
  const right = heapkitBottomUp(space, nodeType, depth - 1);
  const node = space.alloc(nodeType);
  space.setRefSteal(node, LEFT_SLOT, left);
  space.setRefSteal(node, RIGHT_SLOT, right);
  return node;
}

/** The number of nodes in the tree (borrowed references all the way down). */
function heapkitItemCheck(space: ObjectSpace, node: number): number {
  const left = space.getRef(node, LEFT_SLOT);
  if (left === 0) return 1;
  return 1 + heapkitItemCheck(space, left) + heapkitItemCheck(space, space.getRef(node, RIGHT_SLOT));
}

/**
 * One program run; every tree is released by `decref` of its root. Returns the check sum. The
 * `gc` suite runs it too, over a space with a cycle collector and a GC-tracked Node type.
 */
export function heapkitProgram(space: ObjectSpace, nodeType: number, maxDepth: number): number {
  const stretch = heapkitBottomUp(space, nodeType, maxDepth + 1);
  let total = heapkitItemCheck(space, stretch);
  space.decref(stretch);
  const longLived = heapkitBottomUp(space, nodeType, maxDepth);
  for (let depth = MIN_DEPTH; depth <= maxDepth; depth += 2) {
    const iterations = 1 << (maxDepth - depth + MIN_DEPTH);
    let check = 0;
    for (let i = 0; i < iterations; i++) {
      const tree = heapkitBottomUp(space, nodeType, depth);
      check += heapkitItemCheck(space, tree);
      space.decref(tree);
    }
    total += check;
  }
  total += heapkitItemCheck(space, longLived);
  space.decref(longLived);
  return total;
}

/** A fresh object space over a fresh allocator (defaults), with the Node type registered. */
function heapkitSpace(): { allocator: ArenaAllocator; space: ObjectSpace; nodeType: number } {
  const allocator = new ArenaAllocator();
  const space = new ObjectSpace(allocator);
  const node = space.registerType(NODE_TYPE);
  return { allocator, space, nodeType: node.id };
}

function heapkitCase(maxDepth: number, expected: number): { case: BenchCase; teardown: () => void } {
  const { space, nodeType } = heapkitSpace();
  return {
    case: {
      name: HEAPKIT,
      description:
        'ObjectSpace over ArenaAllocator: Node of two reference slots, alloc + setRefSteal, ' +
        'itemCheck by getRef, each tree released by decref of its root (iterative deallocator)',
      run: () => {
        const total = heapkitProgram(space, nodeType, maxDepth);
        if (total !== expected) wrongCheck(HEAPKIT, maxDepth, total, expected);
      },
    },
    // Every run releases all it built: a leak or a missed free is an error, not a figure.
    teardown: () => {
      const live = space.liveObjects();
      if (live !== 0) throw new Error(`binary-trees: heapkit left ${live} live objects after the rounds`);
      space.clearFreeLists();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// v8-object: the same program with class instances, dropped trees left to V8's GC.

class V8Node {
  constructor(
    readonly left: V8Node | null,
    readonly right: V8Node | null,
  ) {}
}

function v8BottomUp(depth: number): V8Node {
  if (depth <= 0) return new V8Node(null, null);
  return new V8Node(v8BottomUp(depth - 1), v8BottomUp(depth - 1));
}

function v8ItemCheck(node: V8Node): number {
  const left = node.left;
  if (left === null) return 1;
  return 1 + v8ItemCheck(left) + v8ItemCheck(node.right!);
}

function v8Program(maxDepth: number): number {
  let total = v8ItemCheck(v8BottomUp(maxDepth + 1));
  const longLived = v8BottomUp(maxDepth);
  for (let depth = MIN_DEPTH; depth <= maxDepth; depth += 2) {
    const iterations = 1 << (maxDepth - depth + MIN_DEPTH);
    let check = 0;
    for (let i = 0; i < iterations; i++) check += v8ItemCheck(v8BottomUp(depth));
    total += check;
  }
  return total + v8ItemCheck(longLived);
}

function v8ObjectCase(maxDepth: number, expected: number): BenchCase {
  return {
    name: V8_OBJECT,
    description: 'class Node {left, right} instances; a dropped tree is garbage for V8’s GC',
    run: () => {
      const total = v8Program(maxDepth);
      if (total !== expected) wrongCheck(V8_OBJECT, maxDepth, total, expected);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// checked-int32-heap: the same program over the hand-written checked heap.

function checkedBottomUp(heap: CheckedInt32Heap, depth: number): number {
  if (depth <= 0) return heap.alloc();
  const left = checkedBottomUp(heap, depth - 1);
  const right = checkedBottomUp(heap, depth - 1);
  const node = heap.alloc();
  heap.setLeft(node, left);
  heap.setRight(node, right);
  return node;
}

function checkedItemCheck(heap: CheckedInt32Heap, node: number): number {
  const left = heap.left(node);
  if (left === 0) return 1;
  return 1 + checkedItemCheck(heap, left) + checkedItemCheck(heap, heap.right(node));
}

function checkedProgram(heap: CheckedInt32Heap, maxDepth: number): number {
  const stretch = checkedBottomUp(heap, maxDepth + 1);
  let total = checkedItemCheck(heap, stretch);
  heap.decref(stretch);
  const longLived = checkedBottomUp(heap, maxDepth);
  for (let depth = MIN_DEPTH; depth <= maxDepth; depth += 2) {
    const iterations = 1 << (maxDepth - depth + MIN_DEPTH);
    let check = 0;
    for (let i = 0; i < iterations; i++) {
      const tree = checkedBottomUp(heap, depth);
      check += checkedItemCheck(heap, tree);
      heap.decref(tree);
    }
    total += check;
  }
  total += checkedItemCheck(heap, longLived);
  heap.decref(longLived);
  return total;
}

/** Bytes of the checked heap's buffer: 16 B per node, the stretch tree's nodes and node 0. */
function checkedHeapBytes(maxDepth: number): number {
  return (treeNodes(maxDepth + 1) + 1) * 16;
}

function checkedCase(maxDepth: number, expected: number): BenchCase {
  // At most the stretch tree is live at once (the long-lived tree and an iterated one are fewer).
  const heap = new CheckedInt32Heap(treeNodes(maxDepth + 1));
  return {
    name: CHECKED,
    description:
      'hand-written limit: one node type over an Int32Array, inline refcounts, every operation checks ' +
      'its node (aligned, in range, count >= 1), iterative release onto a free list',
    run: () => {
      const total = checkedProgram(heap, maxDepth);
      if (total !== expected) wrongCheck(CHECKED, maxDepth, total, expected);
      if (heap.live !== 0) throw new Error(`binary-trees: ${CHECKED} left ${heap.live} live nodes`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// assemblyscript and cpython: the same program in the module and in the script.

const ASSEMBLYSCRIPT_DESCRIPTION =
  'AS 0.28 module (bench/assembly/binary-trees.ts), TLSF + incremental GC: class Node ' +
  '{left, right: Node | null}; a dropped tree is garbage for the GC; one call into the module per run';

/** The program compiled to WebAssembly: one call into the module is one run. */
function assemblyScriptCase(maxDepth: number, expected: number): BenchCase | SkippedCase {
  const missing = wasmUnavailable('binary-trees.wasm');
  if (missing !== null) {
    return { name: ASSEMBLYSCRIPT, description: ASSEMBLYSCRIPT_DESCRIPTION, reason: missing };
  }
  const wasm: BinaryTreesWasm = loadBinaryTreesWasm();
  return {
    name: ASSEMBLYSCRIPT,
    description: ASSEMBLYSCRIPT_DESCRIPTION,
    run: () => {
      const total = wasm.run(maxDepth);
      if (total !== expected) wrongCheck(ASSEMBLYSCRIPT, maxDepth, total, expected);
    },
  };
}

/** CPython running the same program in its own process; the script verifies the check sum. */
function cpythonCase(ctx: SuiteContext, maxDepth: number, expected: number): ExternalCase {
  return pythonPeer(ctx, {
    name: CPYTHON,
    description:
      'class Node with __slots__ = ("left", "right"); a dropped tree is freed by refcounting ' +
      '(pymalloc), as in any CPython program',
    script: 'binary_trees.py',
    inputs: {},
    params: { max_depth: maxDepth, expected_check: expected },
  });
}

// ---------------------------------------------------------------------------------------------
// Memory: the peak footprint of one program run, over the bytes of its peak live nodes.

function measureMemory(ctx: SuiteContext): MemoryReport {
  const maxDepth = maxDepthFor(ctx);
  const expected = expectedCheck(maxDepth);
  // The peak of live nodes is the stretch tree (one more than the long-lived tree and the
  // largest iterated tree together).
  const blocks = treeNodes(maxDepth + 1);
  const { allocator, space, nodeType } = heapkitSpace();
  const nodeBytes = nodeSize(space, nodeType);
  const requested = blocks * nodeBytes;

  const total = heapkitProgram(space, nodeType, maxDepth);
  if (total !== expected) wrongCheck(HEAPKIT, maxDepth, total, expected);
  // The memory never shrinks: its size after the run is the run's peak.
  const heapkitBytes = allocator.stats().footprintBytes;

  const figures: MemoryFigure[] = [
    {
      case: HEAPKIT,
      footprintBytes: heapkitBytes,
      ratio: heapkitBytes / requested,
      maxRatio: null,
      note: 'ArenaAllocator stats().footprintBytes after the run (the memory never shrinks: its peak)',
    },
    {
      case: V8_OBJECT,
      footprintBytes: null,
      ratio: null,
      maxRatio: null,
      note: 'n/a: V8’s heap is shared with the harness and its garbage is collected at its own pace',
    },
    assemblyScriptMemory(maxDepth, expected, requested),
    {
      case: CPYTHON,
      footprintBytes: null,
      ratio: null,
      maxRatio: null,
      note: 'n/a: another process',
    },
    {
      case: CHECKED,
      footprintBytes: checkedHeapBytes(maxDepth),
      ratio: checkedHeapBytes(maxDepth) / requested,
      maxRatio: null,
      note: 'its fixed Int32Array: 16 B per node of the stretch tree, plus one unused node',
    },
  ];
  return {
    description: `peak of one run at depth ${maxDepth}: the stretch tree's ${blocks.toLocaleString('en-US')} nodes of ${nodeBytes} B; footprint ÷ their bytes`,
    blocks,
    requestedBytes: requested,
    note:
      maxDepth === MAX_DEPTH_FULL ? null : `${ctx.mode} mode: depth ${maxDepth} instead of ${MAX_DEPTH_FULL}`,
    figures,
  };
}

/** A Node's size as `sys.getsizeof` counts it: header and payload. */
function nodeSize(space: ObjectSpace, nodeType: number): number {
  const node = space.alloc(nodeType);
  const bytes = space.getSizeOf(node);
  space.decref(node);
  return bytes;
}

function assemblyScriptMemory(maxDepth: number, expected: number, requested: number): MemoryFigure {
  const missing = wasmUnavailable('binary-trees.wasm');
  if (missing !== null) {
    return {
      case: ASSEMBLYSCRIPT,
      footprintBytes: null,
      ratio: null,
      maxRatio: null,
      note: `n/a: ${missing}`,
    };
  }
  const wasm = loadBinaryTreesWasm();
  const total = wasm.run(maxDepth);
  if (total !== expected) wrongCheck(ASSEMBLYSCRIPT, maxDepth, total, expected);
  const bytes = wasm.memory.buffer.byteLength;
  return {
    case: ASSEMBLYSCRIPT,
    footprintBytes: bytes,
    ratio: bytes / requested,
    maxRatio: null,
    note: 'linear memory after one run in a fresh instance (it never shrinks: its peak)',
  };
}

export const binaryTrees: Suite = {
  name: 'binary-trees',
  description:
    'binary-trees (benchmarks game) at depth 16 (12 in --quick, 6 in --tiny): build, check and release binary trees',
  opName: 'program run',
  subject: HEAPKIT,
  targets: [
    { peer: V8_OBJECT, minRatio: 0.5 },
    { peer: CPYTHON, minRatio: 6 },
    { peer: ASSEMBLYSCRIPT, minRatio: 2 },
  ],
  createCases(ctx) {
    const maxDepth = maxDepthFor(ctx);
    const expected = expectedCheck(maxDepth);
    const heapkit = heapkitCase(maxDepth, expected);
    const assemblyScript = assemblyScriptCase(maxDepth, expected);
    const inProcess = 'run' in assemblyScript;
    return {
      opsPerCall: 1,
      cases: [
        heapkit.case,
        v8ObjectCase(maxDepth, expected),
        checkedCase(maxDepth, expected),
        ...(inProcess ? [assemblyScript] : []),
      ],
      external: [cpythonCase(ctx, maxDepth, expected)],
      unavailable: inProcess ? [] : [assemblyScript],
      teardown: heapkit.teardown,
    };
  },
  measureMemory,
};
