/**
 * AssemblyScript peers: WebAssembly modules compiled from `bench/assembly/*.ts` by `asc` when
 * bench is built (`pnpm build`, see package.json), with `--runtime incremental` (AS's TLSF
 * allocator under its incremental mark & sweep GC), `-O3` and `--noAssert`. They run in this
 * process, so they are ordinary in-process cases, interleaved call by call like the others.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `bench/dist/wasm/`, where the build writes the modules (found from `src/peers/` or `dist/peers/`). */
export const WASM_DIR = fileURLToPath(new URL('../../dist/wasm/', import.meta.url));

/** The path of a built module, e.g. `wasmPath('churn.wasm')`. */
export function wasmPath(file: string): string {
  return join(WASM_DIR, file);
}

/** Why a module cannot be loaded (not built), or null when it can. */
export function wasmUnavailable(file: string): string | null {
  return existsSync(wasmPath(file))
    ? null
    : `not built: run \`pnpm build\` (bench/dist/wasm/${file} is missing)`;
}

/**
 * Compiles and instantiates the module at `path` synchronously (untimed set-up). The only
 * import an AS module needs here is `env.abort`, which throws with AS's message.
 */
export function instantiateWasm<T>(path: string): T {
  const file = basename(path);
  const module = new WebAssembly.Module(readFileSync(path));
  let memory: WebAssembly.Memory | null = null;
  const env = {
    abort(message: number, fileName: number, line: number, column: number): never {
      const text =
        memory === null ? 'abort' : `${readString(memory, message)} at ${readString(memory, fileName)}`;
      throw new Error(`${file}: ${text}:${line}:${column}`);
    },
  };
  const instance = new WebAssembly.Instance(module, { env });
  memory = instance.exports.memory as WebAssembly.Memory;
  return instance.exports as T;
}

/** An AS string at `ptr`: UTF-16 code units, its byte length in the u32 just before it. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return 'null';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0]!;
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

/** The exports of `assembly/churn.ts`. */
export interface ChurnWasm {
  readonly memory: WebAssembly.Memory;
  prepare(liveBlocks: number, streamLength: number): void;
  initialSizesAddress(): number;
  slotsAddress(): number;
  sizesAddress(): number;
  fill(): void;
  run(steps: number): void;
  blockSize(slot: number): number;
  blockWord(slot: number): number;
}

/** The churn module with its inputs copied in and its initial blocks allocated. */
export function loadChurnWasm(
  initialSizes: Uint32Array,
  slots: Uint32Array,
  sizes: Uint32Array,
  path = wasmPath('churn.wasm'),
): ChurnWasm {
  if (slots.length === 0 || (slots.length & (slots.length - 1)) !== 0 || sizes.length !== slots.length) {
    throw new Error(
      `churn.wasm: the streams must have one power-of-two length, got ${slots.length} and ${sizes.length}`,
    );
  }
  const wasm = instantiateWasm<ChurnWasm>(path);
  wasm.prepare(initialSizes.length, slots.length);
  // Read the buffer after `prepare`: allocating may have grown (and so replaced) it.
  const buffer = wasm.memory.buffer;
  new Uint32Array(buffer, wasm.initialSizesAddress(), initialSizes.length).set(initialSizes);
  new Uint32Array(buffer, wasm.slotsAddress(), slots.length).set(slots);
  new Uint32Array(buffer, wasm.sizesAddress(), sizes.length).set(sizes);
  wasm.fill();
  return wasm;
}

/** The exports of `assembly/binary-trees.ts`. */
export interface BinaryTreesWasm {
  readonly memory: WebAssembly.Memory;
  /** One whole program run at `maxDepth`; returns the sum of its checks. */
  run(maxDepth: number): number;
  /** Builds and checks one tree of `depth`; returns its node count (for the tests). */
  treeCheck(depth: number): number;
}

/** A fresh instance of the binary-trees module. */
export function loadBinaryTreesWasm(path = wasmPath('binary-trees.wasm')): BinaryTreesWasm {
  return instantiateWasm<BinaryTreesWasm>(path);
}
