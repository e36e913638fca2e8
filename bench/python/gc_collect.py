"""CPython peer of the `gc` suite (bench/src/suites/gc.ts): CPython's cycle collector on the same
object graphs as heapkit's, one shape per process.

Objects are instances of `Node`, a class with `__slots__ = ("left", "right")` (the suite's Node:
two references, no per-instance dict), tracked by CPython's gc like any instance of a class.
Before anything is built, automatic collection is turned off (`gc.disable()`: nothing may be
collected outside the timed calls) and the interpreter's own objects (modules, functions,
classes: about 11,600 tracked objects) are moved to the permanent generation (`gc.freeze()`),
so that a collection examines the same graph as heapkit's, which has no other objects.

- shape "cycles": `pairs` 2-cycles (a.left = b, b.left = a, nothing else refers to them) are
  built before every call, untimed (`serve`'s setup); one call is `gc.collect()`, which must find
  exactly 2 × pairs unreachable objects (it clears them and reference counting frees them).
- shape "live": a complete binary tree of `objects` nodes in heap order (node i's children are
  2i + 1 and 2i + 2), built bottom-up once and held; one call is `gc.collect()`, which must find
  nothing.

Usage (by the harness):
  python3 -B -E -s gc_collect.py INPUTS_FILE '{"shape": "cycles", "pairs": 500000}'
  python3 -B -E -s gc_collect.py INPUTS_FILE '{"shape": "live", "objects": 1000000}'
"""

import gc
import json
import sys

from heapkit_peer import read_inputs, run, serve


class Node:
    """The suite's Node: two references."""

    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left = left
        self.right = right


def make_pairs(pairs):
    """`pairs` 2-cycles with no reference from outside: garbage only the collector can free."""
    for _ in range(pairs):
        a = Node(None, None)
        a.left = Node(a, None)


def complete_tree(objects):
    """A complete binary tree of `objects` nodes, children built before their parent; its root."""
    nodes = [None] * objects
    for i in range(objects - 1, -1, -1):
        left = 2 * i + 1
        right = left + 1
        nodes[i] = Node(nodes[left] if left < objects else None, nodes[right] if right < objects else None)
    return nodes[0]


def main():
    read_inputs(sys.argv[1])  # the protocol's inputs file: these shapes have no inputs
    params = json.loads(sys.argv[2])
    gc.disable()
    gc.freeze()
    shape = params["shape"]
    if shape == "cycles":
        pairs = params["pairs"]
        expected = 2 * pairs

        def build_garbage():
            make_pairs(pairs)

        def collect_garbage():
            found = gc.collect()
            if found != expected:
                raise ValueError(f"gc.collect() found {found} unreachable objects, expected {expected}")

        serve(collect_garbage, build_garbage)
    elif shape == "live":
        root = complete_tree(params["objects"])

        def collect_live():
            found = gc.collect()
            if found != 0:
                raise ValueError(f"gc.collect() found {found} unreachable objects in a live tree")

        serve(collect_live)
        del root
    else:
        raise ValueError(f"unknown shape {shape!r}")


if __name__ == "__main__":
    run(main)
