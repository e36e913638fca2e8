import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidPointerError } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { createHybrid, type Hybrid, WASM_URL } from './hybrid.js';

/**
 * A WebAssembly module as a second owner of a heapkit Memory: it reserves its own regions
 * through the protocol and allocates in them, side by side with an ArenaAllocator, and it also
 * allocates through heapkit's allocator via imports. Under interleaved traffic both heaps stay
 * valid, disjoint and intact.
 */

/** The module: built by `pnpm build`, or compiled here with the assemblyscript package. */
async function wasmBytes(): Promise<Uint8Array | undefined> {
  if (existsSync(fileURLToPath(WASM_URL))) return undefined;
  const asc = (await import('assemblyscript/asc')).default;
  let binary: Uint8Array | undefined;
  const source = fileURLToPath(new URL('../assembly/region-heap.ts', import.meta.url));
  const { error, stderr } = await asc.main(
    [
      source,
      '--outFile',
      'region-heap.wasm',
      '--importMemory',
      '--runtime',
      'stub',
      '-O3',
      '--noAssert',
      '--use',
      'abort=',
    ],
    {
      writeFile(name: string, contents: Uint8Array | string) {
        if (name.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
      },
    },
  );
  if (error) throw new Error(`asc: ${error.message}\n${stderr.toString()}`);
  return binary;
}

interface Block {
  ptr: number;
  size: number;
  tag: number;
  owner: 'heapkit' | 'wasm';
}

function fill(h: Hybrid, b: Block): void {
  h.memory.u8.fill(b.tag, b.ptr, b.ptr + b.size);
}

function intact(h: Hybrid, b: Block): boolean {
  return h.memory.u8.subarray(b.ptr, b.ptr + b.size).every((x) => x === b.tag);
}

describe('a WASM module and an ArenaAllocator in one memory', () => {
  it('both heaps stay valid, disjoint and intact under interleaved traffic', async () => {
    const h = await createHybrid(await wasmBytes());
    const { memory, heap, wasm, wasmOwner } = h;
    expect(wasmOwner).not.toBe(heap.owner);
    const blocks: Block[] = [];
    const lists: { head: number; tag: number; n: number }[] = [];
    let seed = 7;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let step = 0; step < 20_000; step++) {
      const r = random(100);
      const tag = (step % 254) + 1;
      if (r < 30) {
        const size = random(10) === 0 ? 600 + random(20_000) : 1 + random(500);
        const ptr = heap.malloc(size);
        expect(ptr).not.toBe(0);
        blocks.push({ ptr, size, tag, owner: 'heapkit' });
        fill(h, blocks.at(-1)!);
      } else if (r < 60) {
        const size = 1 + random(1008);
        const ptr = wasm.malloc(size);
        expect(ptr).not.toBe(0);
        blocks.push({ ptr, size, tag, owner: 'wasm' });
        fill(h, blocks.at(-1)!);
      } else if (r < 92 && blocks.length > 0) {
        const [b] = blocks.splice(random(blocks.length), 1);
        expect(intact(h, b!)).toBe(true);
        if (b!.owner === 'heapkit') heap.free(b!.ptr);
        else wasm.free(b!.ptr);
      } else if (r < 96) {
        const n = 1 + random(50);
        lists.push({ head: wasm.build_list(n, tag), tag, n });
      } else if (lists.length > 0) {
        const [list] = lists.splice(random(lists.length), 1);
        expect(wasm.check_list(list!.head, list!.tag)).toBe(list!.n);
        wasm.free_list(list!.head);
      }
    }

    // Every block is in its owner's region, no two overlap, and all hold their data.
    for (const b of blocks) {
      expect(memory.regionOf(b.ptr)?.owner).toBe(b.owner === 'heapkit' ? heap.owner : wasmOwner);
      expect(intact(h, b)).toBe(true);
    }
    const spans = blocks.map((b) => [b.ptr, b.ptr + b.size] as const).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i - 1]![1]).toBeLessThanOrEqual(spans[i]![0]);
    for (const list of lists) expect(wasm.check_list(list.head, list.tag)).toBe(list.n);
    heap.validate();
    expect(wasm.validate()).toBe(0);
    const header = memory.regionHeader();
    expect(header.reservedBytes + header.releasedBytes).toBe(header.break - header.base);
    expect(memory.regions().filter((r) => r.owner === wasmOwner).length).toBeGreaterThan(1);

    // Each side refuses the other's blocks where it can check: heapkit says whose region it is.
    const wasmBlock = blocks.find((b) => b.owner === 'wasm')!;
    expect(() => heap.free(wasmBlock.ptr)).toThrow(InvalidPointerError);
    expect(() => heap.free(wasmBlock.ptr)).toThrow(
      new RegExp(`of owner ${wasmOwner} \\(registered in another thread or a WASM module\\)`),
    );
    heap.validate();
    expect(wasm.validate()).toBe(0);
  });
});
