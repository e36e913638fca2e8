/**
 * Runs the hybrid once and prints who owns which bytes: `pnpm --filter @heapkit/wasm-hybrid demo`
 * (after `pnpm build`).
 */
import { formatPtr } from '@heapkit/memory';
import { createHybrid } from './hybrid.js';

const { memory, heap, wasm, wasmOwner } = await createHybrid();
const fromHeapkit = [heap.malloc(100), heap.malloc(5000)];
const fromWasm = [wasm.malloc(100), wasm.malloc(1000)];
const list = wasm.build_list(1000, 42); // the module allocating through heapkit
console.log(`ArenaAllocator is owner ${heap.owner}; the WASM module is owner ${wasmOwner}`);
console.log(`heapkit blocks: ${fromHeapkit.map(formatPtr).join(', ')}`);
console.log(`WASM blocks:    ${fromWasm.map(formatPtr).join(', ')}`);
console.log(`a list of ${wasm.check_list(list, 42)} nodes built by the module in heapkit's heap`);
for (const r of memory.regions()) {
  const who =
    r.owner === 0
      ? 'released'
      : r.owner === heap.owner
        ? 'ArenaAllocator'
        : r.owner === wasmOwner
          ? 'WASM module'
          : `owner ${r.owner}`;
  console.log(`  [${formatPtr(r.start)}, ${formatPtr(r.end)})  ${who}`);
}
wasm.free_list(list);
heap.validate();
console.log(`heap.validate(): ok; wasm.validate(): ${wasm.validate() === 0 ? 'ok' : 'failed'}`);
