"""CPython peer of the `binary-trees` suite (bench/src/suites/binary-trees.ts): the benchmarks
game's binary-trees, the same program as every other case, with CPython's own object model
doing the work.

Nodes are instances of a class with `__slots__ = ("left", "right")` (no per-instance dict: the
idiomatic fast way to write a small object in CPython). A dropped tree is freed at once by
reference counting (CPython's deallocator, with its trashcan, through pymalloc), as heapkit's
trees are by `decref`; the cyclic GC finds nothing to do (trees are acyclic) but runs as
CPython's thresholds make it, as it would in any program.

One call is one whole program run at `max_depth`: a stretch tree of depth max_depth + 1 built,
checked and dropped; a long-lived tree of depth max_depth; for d = 4, 6, ..., max_depth,
2^(max_depth - d + 4) trees of depth d, each built bottom-up, checked and dropped; finally the
long-lived tree checked and dropped. The sum of the checks must be `expected_check` (the number
of nodes checked), or the call raises.

Usage (by the harness): python3 -E -s binary_trees.py INPUTS_FILE '{"max_depth": 16, "expected_check": N}'
"""

import json
import sys

from heapkit_peer import read_inputs, run, serve


class Node:
    """A tree node: two children, both None in a leaf."""

    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left = left
        self.right = right


def bottom_up_tree(depth):
    """A complete tree of `depth` levels below its root, children built before their parent."""
    if depth <= 0:
        return Node(None, None)
    depth -= 1
    return Node(bottom_up_tree(depth), bottom_up_tree(depth))


def item_check(node):
    """The number of nodes in the tree."""
    left = node.left
    if left is None:
        return 1
    return 1 + item_check(left) + item_check(node.right)


def program(max_depth):
    """One program run; returns the sum of the checks."""
    total = item_check(bottom_up_tree(max_depth + 1))  # the stretch tree, freed at once
    long_lived = bottom_up_tree(max_depth)
    for depth in range(4, max_depth + 1, 2):
        check = 0
        for _ in range(1 << (max_depth - depth + 4)):
            check += item_check(bottom_up_tree(depth))
        total += check
    total += item_check(long_lived)
    return total


def main():
    read_inputs(sys.argv[1])  # the protocol's inputs file: this program has no inputs
    params = json.loads(sys.argv[2])
    max_depth = params["max_depth"]
    expected = params["expected_check"]

    def program_call():
        total = program(max_depth)
        if total != expected:
            raise ValueError(f"binary-trees at depth {max_depth}: check sum {total}, expected {expected}")

    serve(program_call)


if __name__ == "__main__":
    run(main)
