import { ArenaAllocator } from '@heapkit/arena-allocator';
import { Profiler, RuntimeFrameStack } from '@heapkit/profiler';

const N = 10000,
  L = 1 << 18,
  M = L - 1;
let seed = 1;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
const slots = new Uint32Array(L).map(() => Math.floor(rnd() * N));
const sizes = new Uint32Array(L).map(() => 8 + Math.floor(rnd() * 505));
function make(kind) {
  let heap, frames, profiler;
  if (kind === 'untraced') heap = new ArenaAllocator();
  else if (kind === 'stopped') {
    profiler = new Profiler();
    heap = profiler.wrap(new ArenaAllocator());
  } else if (kind === 'sampled') {
    profiler = new Profiler({ sampling: { meanInterval: 512 * 1024 } });
    heap = profiler.wrap(new ArenaAllocator());
  } else if (kind === 'runtime') {
    frames = new RuntimeFrameStack();
    profiler = new Profiler({ frameSource: frames });
    heap = profiler.wrap(new ArenaAllocator());
    frames.push(frames.registerFile('g'), 1);
  }
  const ptrs = new Uint32Array(N);
  for (let i = 0; i < N; i++) ptrs[i] = heap.malloc(sizes[i]);
  if (kind !== 'untraced' && kind !== 'stopped') profiler.start(1);
  let k = 0;
  const run = frames
    ? () => {
        for (let n = 0; n < 1000; n++) {
          frames.setLine((k & 15) + 1);
          const s = slots[k];
          heap.free(ptrs[s]);
          const p = heap.malloc(sizes[k]);
          heap.memory.u32[p >>> 2] = k;
          ptrs[s] = p;
          k = (k + 1) & M;
        }
      }
    : () => {
        for (let n = 0; n < 1000; n++) {
          const s = slots[k];
          heap.free(ptrs[s]);
          const p = heap.malloc(sizes[k]);
          heap.memory.u32[p >>> 2] = k;
          ptrs[s] = p;
          k = (k + 1) & M;
        }
      };
  return run;
}
const kinds = process.argv.slice(2);
const runs = Object.fromEntries(kinds.map((k) => [k, make(k)]));
const best = {};
for (let round = 0; round < 15; round++)
  for (const k of kinds) {
    const r = runs[k];
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) r();
    const ns = Number(process.hrtime.bigint() - t0) / 200000;
    best[k] = Math.min(best[k] ?? 1e9, ns);
  }
console.log(
  Object.entries(best)
    .map(([k, v]) => `${k} ${v.toFixed(1)}ns (${(v / best[kinds[0]]).toFixed(2)}x)`)
    .join('  '),
);
