"""binary-trees with CPython's own cyclic GC on and off: what automatic collection costs CPython
on the program of the `gc` suite's `binary-trees-gc-on` / `-off` cases (bench/src/suites/gc.ts).

Not a harness peer (a run at depth 16 takes several seconds, too long for the suite's rounds): a
standalone script. The same program as binary_trees.py (`class Node` with `__slots__`), run
`rounds` times with `gc.enable()` and `gc.disable()` alternately (the order swapped every round),
timed with `time.process_time()`. The interpreter's own objects are frozen first (`gc.freeze()`),
as heapkit's space holds nothing else. Prints the medians, their ratio, and the number of
automatic collections of each generation in one run with collection on (from `gc.callbacks`),
to compare with the suite's memory table (heapkit: 3923 / 356 / 29 at depth 16).

Usage: python3 bench/python/binary_trees_gc_ratio.py [rounds=5] [max_depth=16]
"""

import gc
import sys
import time

from binary_trees import program  # the very program the harness's CPython peer runs


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    max_depth = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    gc.freeze()
    times = {True: [], False: []}
    by_generation = [0, 0, 0]
    counted = []
    gc.callbacks.append(lambda phase, info: counted.append(info["generation"]) if phase == "stop" else None)
    for r in range(rounds):
        for enabled in (True, False) if r % 2 else (False, True):
            (gc.enable if enabled else gc.disable)()
            counted.clear()
            start = time.process_time()
            program(max_depth)
            times[enabled].append(time.process_time() - start)
            if enabled:
                by_generation = [counted.count(g) for g in range(3)]
    gc.enable()
    on = sorted(times[True])[rounds // 2]
    off = sorted(times[False])[rounds // 2]
    print(
        f"CPython {sys.version.split()[0]}, depth {max_depth}, {rounds} rounds: "
        f"on {on:.3f} s, off {off:.3f} s, on/off {on / off:.2f}x; "
        f"collections per run by generation {' / '.join(map(str, by_generation))}"
    )


if __name__ == "__main__":
    main()
