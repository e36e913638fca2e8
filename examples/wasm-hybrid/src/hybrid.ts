import { readFile } from 'node:fs/promises';
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { Memory } from '@heapkit/memory';

/** What `assembly/region-heap.ts` exports. */
export interface RegionHeapExports {
  /** Registers the module as an owner of the memory and reserves its first region; its owner id. */
  init(): number;
  /** A block of 1..1008 bytes from the module's own regions, or 0. */
  malloc(size: number): number;
  free(ptr: number): void;
  /** 0 when the module's heap and its regions check out, else a code. */
  validate(): number;
  /** A list of `n` nodes allocated through heapkit's allocator (the imports). */
  build_list(n: number, tag: number): number;
  /** The list's length if its nodes are intact, else -1. */
  check_list(head: number, tag: number): number;
  free_list(head: number): void;
}

/** One memory, two owners: an ArenaAllocator and the WASM module's own heap. */
export interface Hybrid {
  readonly memory: Memory;
  readonly heap: ArenaAllocator;
  readonly wasm: RegionHeapExports;
  /** The module's owner id in the memory's region protocol. */
  readonly wasmOwner: number;
}

/** The compiled module: `dist/region-heap.wasm` (`pnpm build`). */
export const WASM_URL = new URL('../dist/region-heap.wasm', import.meta.url);

/**
 * Instantiates the module over a new Memory shared with an ArenaAllocator. The module imports
 * the memory, `grow_to` (it grows the memory through the Memory, so every view stays fresh and
 * the allocator hears of it) and heapkit's `malloc`/`free`.
 */
export async function createHybrid(bytes?: Uint8Array): Promise<Hybrid> {
  const memory = new Memory({ initialBytes: 1 << 20, maxBytes: 256 << 20 });
  const heap = new ArenaAllocator({ memory });
  const imports = {
    env: { memory: memory.wasmMemory! },
    'region-heap': {
      grow_to: (byteLength: number): boolean => memory.growTo(byteLength),
      heapkit_malloc: (size: number): number => heap.malloc(size),
      heapkit_free: (ptr: number): void => heap.free(ptr),
    },
  };
  const source = (bytes ?? (await readFile(WASM_URL))) as Uint8Array<ArrayBuffer>;
  const module = await WebAssembly.compile(source);
  const instance = await WebAssembly.instantiate(module, imports);
  const wasm = instance.exports as unknown as RegionHeapExports;
  const wasmOwner = wasm.init();
  if (wasmOwner === 0) throw new Error('the WASM module could not reserve its first region');
  return { memory, heap, wasm, wasmOwner };
}
