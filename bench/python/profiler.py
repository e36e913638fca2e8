"""CPython peer of the `profiler` suite (bench/src/suites/profiler.ts): the churn of the `churn`
suite (bench/python/churn.py) with and without CPython's own tracemalloc, so that tracemalloc's
overhead ratio can be read next to heapkit's profiler's.

10,000 live bytearrays of the suite's seeded initial sizes; step k drops the block in slot
slots[k] (CPython frees it at once), allocates a bytearray of sizes[k] bytes, writes one 32-bit
int into it and keeps it in the slot. When `tracemalloc_nframe` is above 0, tracemalloc.start()
is called with it after the initial blocks are built, so every step's allocations and frees are
traced (and the initial blocks are not, as in the in-process traced cases, whose profiler also
starts after the fill). One call is `steps_per_call` steps.

Usage (by the harness): python3 -E -s profiler.py INPUTS_FILE '{"live_blocks": 10000,
"steps_per_call": 1000, "tracemalloc_nframe": 1}'
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
    nframe = params["tracemalloc_nframe"]
    initial_sizes = inputs["initial_sizes"]
    slots = inputs["slots"]
    sizes = inputs["sizes"]
    mask = len(slots) - 1
    if len(slots) & mask or len(sizes) != len(slots) or len(initial_sizes) != live_blocks:
        raise ValueError("profiler inputs: stream length must be a power of two, one size per slot")

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
        nonlocal cursor
        k = cursor
        live, slot_stream, size_stream, new_block, write = blocks, slots, sizes, bytearray, write_u32
        for _ in range(steps_per_call):
            slot = slot_stream[k]
            live[slot] = None
            block = new_block(size_stream[k])
            write(block, 0, k)
            live[slot] = block
            k = (k + 1) & mask
        cursor = k

    serve(churn_call)


if __name__ == "__main__":
    run(main)
