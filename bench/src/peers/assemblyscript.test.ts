/**
 * The AssemblyScript churn module does the suite's steps: built here with the exact command of
 * `pnpm build` (package.json's `build:wasm`) into a temporary folder, then checked against a
 * plain JS model of the same steps. Never asserts a time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random.js';
import { type ChurnWasm, loadChurnWasm, wasmUnavailable } from './assemblyscript.js';

const BENCH_DIR = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let wasmFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapkit-bench-asc-'));
  wasmFile = join(dir, 'churn.wasm');
  const scripts = JSON.parse(await readFile(join(BENCH_DIR, 'package.json'), 'utf8')).scripts;
  const [command, ...args] = (scripts['build:wasm'] as string).split(' ');
  expect(command).toBe('asc');
  const outFile = args.indexOf('--outFile');
  expect(outFile).toBeGreaterThan(-1);
  args[outFile + 1] = wasmFile;
  const asc = join(
    dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')),
    'bin',
    'asc.js',
  );
  const built = spawnSync(process.execPath, [asc, ...args], { cwd: BENCH_DIR, encoding: 'utf8' });
  expect(built.stderr + built.stdout).toBe('');
  expect(built.status).toBe(0);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('assembly/churn.ts', () => {
  it('replays the streams: each slot holds a block of its last size with its step number', () => {
    const live = 64;
    const random = new Random(9);
    const initialSizes = random.ints(live, 8, 512);
    const slots = random.ints(1024, 0, live - 1);
    const sizes = random.ints(1024, 8, 512);
    const wasm: ChurnWasm = loadChurnWasm(initialSizes, slots, sizes, wasmFile);
    const expectSize = Array.from(initialSizes);
    const expectWord = Array.from({ length: live }, (_, i) => i);
    for (let i = 0; i < live; i++) {
      expect([wasm.blockSize(i), wasm.blockWord(i)]).toEqual([expectSize[i], expectWord[i]]);
    }
    // 3000 steps: the stream wraps around twice, and the GC runs many times meanwhile.
    let k = 0;
    for (let call = 0; call < 30; call++) {
      wasm.run(100);
      for (let n = 0; n < 100; n++, k = (k + 1) & 1023) {
        expectSize[slots[k]!] = sizes[k]!;
        expectWord[slots[k]!] = k;
      }
    }
    for (let i = 0; i < live; i++) {
      expect([wasm.blockSize(i), wasm.blockWord(i)], `slot ${i}`).toEqual([expectSize[i], expectWord[i]]);
    }
  });

  it('keeps its memory bounded under churn (the garbage is collected)', () => {
    const random = new Random(3);
    const wasm = loadChurnWasm(
      random.ints(1000, 8, 512),
      random.ints(1 << 14, 0, 999),
      random.ints(1 << 14, 8, 512),
      wasmFile,
    );
    wasm.run(10_000);
    const after = wasm.memory.buffer.byteLength;
    wasm.run(200_000); // ~50 MB allocated in all, ~0.3 MB live
    expect(wasm.memory.buffer.byteLength).toBeLessThanOrEqual(after * 2);
  });

  it('throws with AssemblyScript’s message on abort', () => {
    const random = new Random(1);
    // Bounds checks stay on outside the hot loop: slot 5 of 4 blocks.
    const wasm = loadChurnWasm(random.ints(4, 8, 16), Uint32Array.of(0, 1), Uint32Array.of(8, 8), wasmFile);
    expect(() => wasm.blockSize(5)).toThrow(
      /churn\.wasm: Index out of range at ~lib\/staticarray\.ts:\d+:\d+/,
    );
  });

  it('refuses streams whose length is not a power of two', () => {
    const three = Uint32Array.of(0, 1, 2);
    expect(() => loadChurnWasm(Uint32Array.of(8), three, three, wasmFile)).toThrow(
      /power-of-two length, got 3/,
    );
  });

  it('says how to build it when it is missing', () => {
    expect(wasmUnavailable('nope.wasm')).toBe(
      'not built: run `pnpm build` (bench/dist/wasm/nope.wasm is missing)',
    );
  });
});
