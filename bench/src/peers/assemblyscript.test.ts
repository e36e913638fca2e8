/**
 * The AssemblyScript modules do their suites' work: built here with the exact commands of
 * `pnpm build` (package.json's `build:wasm`) into a temporary folder, then checked against a
 * plain JS model (churn's steps) or the known node counts (binary-trees). Never asserts a time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random.js';
import { expectedCheck, treeNodes } from '../suites/binary-trees.js';
import { type ChurnWasm, loadBinaryTreesWasm, loadChurnWasm, wasmUnavailable } from './assemblyscript.js';

const BENCH_DIR = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let wasmFile: string;
let binaryTreesFile: string;

/** The `asc` commands of `build:wasm`, as argument lists, by module source (`assembly/NAME.ts`). */
function ascCommands(script: string): Map<string, string[]> {
  const commands = new Map<string, string[]>();
  for (const command of script.split(' && ')) {
    const [program, source, ...args] = command.split(' ');
    expect(program).toBe('asc');
    commands.set(source!, [source!, ...args]);
  }
  return commands;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapkit-bench-asc-'));
  wasmFile = join(dir, 'churn.wasm');
  binaryTreesFile = join(dir, 'binary-trees.wasm');
  const scripts = JSON.parse(await readFile(join(BENCH_DIR, 'package.json'), 'utf8')).scripts;
  const commands = ascCommands(scripts['build:wasm'] as string);
  expect([...commands.keys()]).toEqual(['assembly/churn.ts', 'assembly/binary-trees.ts']);
  const asc = join(
    dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')),
    'bin',
    'asc.js',
  );
  const flags: string[][] = [];
  for (const [source, args] of commands) {
    const outFile = args.indexOf('--outFile');
    expect(outFile).toBeGreaterThan(-1);
    expect(args[outFile + 1]).toBe(`dist/wasm/${source.slice('assembly/'.length, -'.ts'.length)}.wasm`);
    args[outFile + 1] = source === 'assembly/churn.ts' ? wasmFile : binaryTreesFile;
    flags.push(args.slice(outFile + 2));
    const built = spawnSync(process.execPath, [asc, ...args], { cwd: BENCH_DIR, encoding: 'utf8' });
    expect(built.stderr + built.stdout).toBe('');
    expect(built.status).toBe(0);
  }
  // Every module is built with the same runtime and optimisation flags.
  expect(flags[1]).toEqual(flags[0]);
  expect(flags[0]).toContain('incremental');
}, 120_000);

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

describe('assembly/binary-trees.ts', () => {
  it('builds complete trees: a tree of depth d has 2^(d+1) - 1 nodes', () => {
    const wasm = loadBinaryTreesWasm(binaryTreesFile);
    for (let depth = 0; depth <= 12; depth++)
      expect(wasm.treeCheck(depth), `depth ${depth}`).toBe(treeNodes(depth));
  });

  it('runs the whole program: the sum of the checks is the known node count', () => {
    const wasm = loadBinaryTreesWasm(binaryTreesFile);
    expect(expectedCheck(4)).toBe(63 + 31 + 16 * 31); // stretch, long-lived, 16 trees of depth 4
    for (const maxDepth of [4, 5, 6, 8, 10])
      expect(wasm.run(maxDepth), `depth ${maxDepth}`).toBe(expectedCheck(maxDepth));
  });

  it('keeps its memory bounded over many runs (dropped trees are collected)', () => {
    const wasm = loadBinaryTreesWasm(binaryTreesFile);
    wasm.run(10);
    const after = wasm.memory.buffer.byteLength;
    for (let i = 0; i < 20; i++) expect(wasm.run(10)).toBe(expectedCheck(10)); // ~1.3 M nodes in all
    expect(wasm.memory.buffer.byteLength).toBeLessThanOrEqual(after * 2);
  });
});
