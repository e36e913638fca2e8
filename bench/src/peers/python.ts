/**
 * CPython peers: a script in `bench/python/` run by `python3` as an external process (see
 * `external-process.ts` for the protocol and `python/heapkit_peer.py` for its Python side).
 * Which interpreter: `HEAPKIT_BENCH_PYTHON` if set, else `python3` from PATH. When it is not
 * there or fails to start, the peer's row says `skipped: python3 not found` (or why it failed).
 *
 * The interpreter runs with `-E -s`, so `PYTHON*` variables (e.g. `PYTHONMALLOC=debug`) and the
 * user's site-packages do not change what is measured, and with `-B`, so it leaves no
 * `__pycache__` in the source tree.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExternalCase, SuiteContext } from '../suite.js';
import { processPeer } from './external-process.js';

/** `bench/python/`, found from this file (`src/peers/` or `dist/peers/`). */
export const PYTHON_DIR = fileURLToPath(new URL('../../python/', import.meta.url));
/** The variable naming the interpreter to use instead of `python3`. */
export const PYTHON_ENV = 'HEAPKIT_BENCH_PYTHON';

export interface PythonPeerOptions {
  /** The case's name, e.g. `cpython`. */
  readonly name: string;
  /** What one operation does; the interpreter's version is appended. */
  readonly description: string;
  /** The script's file name in `bench/python/`. */
  readonly script: string;
  /** The suite's inputs, by name: the script reads them with `heapkit_peer.read_inputs`. */
  readonly inputs: Readonly<Record<string, Uint32Array>>;
  /** Scalar parameters, passed to the script as a JSON object (its second argument). */
  readonly params: Readonly<Record<string, number | string | boolean>>;
}

/** An external case running `bench/python/<script>` under `python3`. */
export function pythonPeer(ctx: SuiteContext, options: PythonPeerOptions): ExternalCase {
  const override = ctx.env[PYTHON_ENV];
  const chosen = override !== undefined && override !== '';
  return processPeer({
    name: options.name,
    description: options.description,
    command: chosen ? override : 'python3',
    commandLabel: 'python3',
    ...(chosen ? { commandNote: `(${PYTHON_ENV}=${override})` } : {}),
    args: (inputsPath) => [
      '-B',
      '-E',
      '-s',
      join(PYTHON_DIR, options.script),
      inputsPath,
      JSON.stringify(options.params),
    ],
    inputs: options.inputs,
  });
}
