"""CPython peer of the `churn` suite (bench/src/suites/churn.ts): the same small-block churn with
CPython's own allocator doing the work.

10,000 live bytearrays of the suite's seeded initial sizes; step k frees the block in slot
slots[k] (dropping the last reference: CPython frees it at once, through pymalloc for sizes up
to 512 B), allocates a bytearray of sizes[k] bytes, writes one 32-bit int into it (k) and keeps
it in the slot. The slot and size streams are the harness's, read from the inputs file, and are
replayed cyclically from where the previous call stopped, exactly as the in-process cases do.
One call is `steps_per_call` steps.

With "tracemalloc_nframe": N > 0 in the parameters, tracemalloc.start(N) runs after the initial
blocks are allocated: the `profiler` suite's cpython-tracemalloc case (its `cpython` case is this
script without it).

Usage (by the harness): python3 -E -s churn.py INPUTS_FILE '{"live_blocks": 10000, "steps_per_call": 1000}'
"""

import json
import struct
import sys
import tracemalloc

from heapkit_peer import read_inputs, run, serve


def main():
    inputs = read_inputs(sys.argv[1])
    params = json.loads(sys.argv[2])
    live_blocks = params["live_blocks"]
    steps_per_call = params["steps_per_call"]
    nframe = params.get("tracemalloc_nframe", 0)
    initial_sizes = inputs["initial_sizes"]
    slots = inputs["slots"]
    sizes = inputs["sizes"]
    mask = len(slots) - 1
    if len(slots) & mask or len(sizes) != len(slots) or len(initial_sizes) != live_blocks:
        raise ValueError("churn inputs: stream length must be a power of two, one size per slot")

    write_u32 = struct.Struct("<I").pack_into
    blocks = [None] * live_blocks
    for i in range(live_blocks):
        block = bytearray(initial_sizes[i])
        write_u32(block, 0, i)
        blocks[i] = block
    cursor = 0
    if nframe > 0:
        tracemalloc.start(nframe)

    def churn_call():
        # Idiomatic fast CPython: locals for everything the loop touches.
        nonlocal cursor
        k = cursor
        live, slot_stream, size_stream, new_block, write = blocks, slots, sizes, bytearray, write_u32
        for _ in range(steps_per_call):
            slot = slot_stream[k]
            live[slot] = None  # free first, as the other cases do, so the block can be reused
            block = new_block(size_stream[k])
            write(block, 0, k)
            live[slot] = block
            k = (k + 1) & mask
        cursor = k

    serve(churn_call)


if __name__ == "__main__":
    run(main)
