// AssemblyScript peer of the `binary-trees` suite (bench/src/suites/binary-trees.ts), compiled to
// WebAssembly by `asc` at bench build time (`pnpm build` in bench/) with `--runtime incremental`:
// AS's TLSF allocator under its incremental tri-colour mark & sweep GC (ITCMS). Output:
// bench/dist/wasm/binary-trees.wasm; loaded by bench/src/peers/assemblyscript.ts.
//
// The benchmarks game's binary-trees, the same program as every other case: a stretch tree of
// depth max + 1 built, checked and dropped; a long-lived tree of depth max; for d = 4, 6, ..., max,
// 2^(max - d + 4) trees of depth d, each built bottom-up, checked and dropped; finally the
// long-lived tree checked and dropped. Nodes are instances of a class with two nullable fields;
// a dropped tree is garbage, reclaimed by the incremental GC in the steps `new` runs as
// allocation goes on (there is no explicit free in a GC'd runtime).
//
// `run(maxDepth)` is one whole program run; it returns the sum of every check (the number of
// nodes checked), which the harness compares with the known count.

/** A tree node: two children, both null in a leaf. */
class Node {
  constructor(
    public left: Node | null,
    public right: Node | null,
  ) {}
}

/** A complete tree of `depth` levels below its root, children built before their parent. */
function bottomUpTree(depth: i32): Node {
  if (depth <= 0) return new Node(null, null);
  return new Node(bottomUpTree(depth - 1), bottomUpTree(depth - 1));
}

/** The number of nodes in the tree (a leaf has no children; an inner node has two). */
function itemCheck(node: Node): i32 {
  const left = node.left;
  if (left === null) return 1;
  return 1 + itemCheck(left) + itemCheck(node.right!);
}

/** One program run at `maxDepth`; returns the sum of the checks. */
export function run(maxDepth: i32): i32 {
  let total = itemCheck(bottomUpTree(maxDepth + 1)); // the stretch tree, garbage at once
  const longLived = bottomUpTree(maxDepth);
  for (let depth = 4; depth <= maxDepth; depth += 2) {
    const iterations = 1 << (maxDepth - depth + 4);
    let check = 0;
    for (let i = 0; i < iterations; i++) check += itemCheck(bottomUpTree(depth));
    total += check;
  }
  return total + itemCheck(longLived);
}

/** The number of nodes of a tree of `depth` built and checked by the module (for the tests). */
export function treeCheck(depth: i32): i32 {
  return itemCheck(bottomUpTree(depth));
}
