"""The Python side of heapkit's external-peer protocol, shared by every CPython peer script.

A peer script reads the harness's inputs with `read_inputs`, builds its state, then hands
`serve` a function that performs one call (the suite's batch of operations, e.g. 1,000 churn
steps), and optionally a `setup` function run before every call, untimed (e.g. to rebuild the
garbage a timed `gc.collect()` frees; an in-process case's `setup`, tinybench's `beforeEach`). `serve` answers the harness's commands on stdin/stdout until told to exit; the protocol
and the inputs file are described in bench/src/peers/external-process.ts:

    peer    -> {"ready": true, "version": "CPython 3.11.2"}
    harness -> {"cmd": "warmup", "ms": 100}                  peer -> {"done": true}
    harness -> {"cmd": "round", "ms": 60, "min_samples": 2}  peer -> {"samples": [ns, ...]}
    harness -> {"cmd": "exit"}                               peer exits with status 0

Each call is timed on its own with time.perf_counter_ns(), as tinybench times each call of an
in-process case with process.hrtime; nothing else runs between the two clock reads. As in
tinybench, only the timed calls count against a round's budget (a setup does not).
"""

import array
import json
import platform
import sys
import time

if sys.version_info < (3, 8):
    sys.exit("heapkit bench: the CPython peers need Python 3.8 or later")

_MAGIC = b"HKIN"


def read_inputs(path):
    """The inputs file as a dict of name -> list of int (u32 values, little-endian on disk)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != _MAGIC:
        raise ValueError(f"{path} is not a heapkit bench inputs file")
    version, count = _u32(data, 4), _u32(data, 8)
    if version != 1:
        raise ValueError(f"{path}: unknown inputs version {version}")
    at = 12
    inputs = {}
    for _ in range(count):
        name_length = _u32(data, at)
        name = data[at + 4 : at + 4 + name_length].decode("utf-8")
        at += 4 + name_length
        length = _u32(data, at)
        at += 4
        values = array.array("I")
        if values.itemsize != 4:
            values = array.array("L")  # platforms whose C unsigned int is not 32 bits
        values.frombytes(data[at : at + 4 * length])
        if sys.byteorder != "little":
            values.byteswap()
        # Lists index faster than arrays in CPython (no int object made per read).
        inputs[name] = values.tolist()
        at += 4 * length
    return inputs


def _u32(data, at):
    return int.from_bytes(data[at : at + 4], "little")


def version():
    """E.g. "CPython 3.11.2"."""
    return f"{platform.python_implementation()} {platform.python_version()}"


def _send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _timed_calls(call, setup, ms, min_calls, keep):
    """Calls `call` (after `setup`, untimed, if any) until the calls took `ms` in all and it ran
    at least `min_calls` times."""
    clock = time.perf_counter_ns
    budget = int(ms * 1e6)
    samples = []
    spent = 0
    calls = 0
    while calls < min_calls or spent < budget:
        if setup is not None:
            setup()
        t0 = clock()
        call()
        t1 = clock()
        calls += 1
        spent += t1 - t0
        if keep:
            samples.append(t1 - t0)
    return samples


def serve(call, setup=None):
    """Reports ready, then runs warm-up and measured rounds of `call` as the harness asks;
    `setup`, when given, runs before every call, untimed."""
    _send({"ready": True, "version": version()})
    for line in sys.stdin:
        command = json.loads(line)
        cmd = command.get("cmd")
        if cmd == "warmup":
            _timed_calls(call, setup, command["ms"], 1, False)
            _send({"done": True})
        elif cmd == "round":
            samples = _timed_calls(call, setup, command["ms"], command["min_samples"], True)
            _send({"samples": samples})
        elif cmd == "exit":
            return
        else:
            _send({"error": f"unknown command {line.strip()!r}"})
            sys.exit(2)


def run(main):
    """Runs a peer script's `main`, reporting any exception to the harness before exiting."""
    try:
        main()
    except Exception as error:  # noqa: BLE001 - every failure is reported, then fatal
        _send({"error": f"{type(error).__name__}: {error}"})
        raise
