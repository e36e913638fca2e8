/**
 * Smoke test of the harness: every suite runs in tiny mode through the CLI's own `main`, and the
 * JSON it writes has every field. Never asserts a time.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCliArgs, selectSuites, UsageError } from './args.js';
import { type MainIo, main } from './main.js';
import { MODES } from './modes.js';
import { BareFreeList } from './peers/bare-free-list.js';
import { Random } from './random.js';
import type { RunResult } from './results.js';
import { SUITES } from './suites/index.js';
import { resultFileName, writeResults } from './write-json.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapkit-bench-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function captureIo(): MainIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (s: string) => out.push(s), isTTY: false },
    stderr: { write: (s: string) => err.push(s), isTTY: false },
    env: { CI: 'true' },
    cwd: dir,
    color: false,
    resultsDir: join(dir, 'results'),
  };
}

const isNumber = (x: unknown): boolean => typeof x === 'number' && !Number.isNaN(x);

describe('bench --tiny', () => {
  let run: RunResult;
  let io: ReturnType<typeof captureIo>;

  beforeAll(async () => {
    io = captureIo();
    const code = await main(['--tiny', '--json', 'tiny.json'], io);
    expect(io.err.join('')).not.toMatch(/bench: .*Error/);
    expect(code).toBe(0);
    run = JSON.parse(await readFile(join(dir, 'tiny.json'), 'utf8')) as RunResult;
  });

  it('records the run and its environment', () => {
    expect(run.schemaVersion).toBe(1);
    expect(run.mode).toBe('tiny');
    expect(Number.isNaN(Date.parse(run.date))).toBe(false);
    expect(isNumber(run.seed)).toBe(true);
    expect(run.settings).toEqual(MODES.tiny);
    const env = run.environment;
    expect(env.node).toBe(process.version);
    expect(env.v8).toBe(process.versions.v8);
    expect(typeof env.cpuModel).toBe('string');
    expect(env.cores).toBeGreaterThan(0);
    expect(env.os.platform).toBe(process.platform);
    expect(typeof env.os.type).toBe('string');
    expect(typeof env.os.release).toBe('string');
    expect(env.os.arch).toBe(process.arch);
    expect(env.totalMemoryBytes).toBeGreaterThan(0);
  });

  it('has every suite, each case with its figures', () => {
    expect(run.suites.map((s) => s.name)).toEqual(SUITES.map((s) => s.name));
    for (const suite of run.suites) {
      expect(suite.description).not.toBe('');
      expect(suite.opsPerCall).toBeGreaterThan(0);
      expect(isNumber(suite.durationMs)).toBe(true);
      expect(suite.cases.length).toBeGreaterThan(1);
      expect(suite.cases.map((c) => c.name)).toContain(suite.subject);
      for (const c of suite.cases) {
        expect(c.samples).toBeGreaterThan(0);
        expect(c.totalOps).toBe(c.samples * suite.opsPerCall);
        for (const field of [
          'medianNs',
          'p75Ns',
          'p99Ns',
          'minNs',
          'maxNs',
          'meanNs',
          'opsPerSec',
        ] as const) {
          expect(isNumber(c[field]), `${suite.name}/${c.name}.${field}`).toBe(true);
        }
        expect(c.minNs).toBeLessThanOrEqual(c.medianNs);
        expect(c.medianNs).toBeLessThanOrEqual(c.p75Ns);
        expect(c.p75Ns).toBeLessThanOrEqual(c.p99Ns);
        expect(c.p99Ns).toBeLessThanOrEqual(c.maxNs);
      }
    }
  });

  it('has the subject’s ratio to every peer, with the targets', () => {
    for (const suite of run.suites) {
      const peers = suite.cases.map((c) => c.name).filter((n) => n !== suite.subject);
      expect(suite.ratios.map((r) => r.peer)).toEqual(peers);
      for (const r of suite.ratios) {
        expect(isNumber(r.ratio)).toBe(true);
        expect(r.met === null).toBe(r.target === null);
      }
    }
    const churn = run.suites.find((s) => s.name === 'churn')!;
    expect(Object.fromEntries(churn.ratios.map((r) => [r.peer, r.target]))).toEqual({
      'v8-object': 1.2,
      'thi.ng/malloc': 100,
      'bare-free-list': 0.5,
    });
  });

  it('has the memory figures', () => {
    const churn = run.suites.find((s) => s.name === 'churn')!;
    const memory = churn.memory!;
    expect(memory.blocks).toBeGreaterThan(0);
    expect(memory.requestedBytes).toBeGreaterThanOrEqual(memory.blocks * 8);
    expect(memory.note).toMatch(/tiny mode/);
    const byCase = Object.fromEntries(memory.figures.map((f) => [f.case, f]));
    expect(Object.keys(byCase).sort()).toEqual(['bare-free-list', 'heapkit', 'thi.ng/malloc', 'v8-object']);
    for (const name of ['heapkit', 'thi.ng/malloc', 'bare-free-list']) {
      const f = byCase[name]!;
      expect(f.footprintBytes, name).toBeGreaterThanOrEqual(memory.requestedBytes);
      expect(f.ratio).toBeCloseTo(f.footprintBytes! / memory.requestedBytes, 12);
    }
    expect(byCase.heapkit!.maxRatio).toBe(1.1);
    expect(byCase['v8-object']!.ratio).toBeNull();
    expect(byCase['v8-object']!.note).toMatch(/^n\/a/);
    for (const suite of run.suites) {
      for (const f of suite.memory?.figures ?? []) {
        expect('footprintBytes' in f && 'ratio' in f && 'maxRatio' in f && 'note' in f).toBe(true);
      }
    }
  });

  it('printed a table per suite and plain progress lines', () => {
    const out = io.out.join('');
    for (const suite of run.suites) expect(out).toContain(`${suite.name} — `);
    expect(out).toContain('median/step');
    expect(out).toContain('Memory:');
    expect(io.err.join('')).toMatch(/\[1\/\d+\] churn: measure 1\/2\n/);
    expect(io.err.join('')).not.toContain('\r');
  });
});

describe('results files', () => {
  it('writes <date>-<mode>.json and latest.json into the results folder', async () => {
    const io = captureIo();
    const resultsDir = join(dir, 'default');
    expect(await main(['--tiny', '--suite', 'churn', '--seed', '7'], { ...io, resultsDir })).toBe(0);
    const files = (await readdir(resultsDir)).sort();
    expect(files).toHaveLength(2);
    expect(files).toContain('latest.json');
    const dated = files.find((f) => f !== 'latest.json')!;
    expect(dated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{6}Z-tiny\.json$/);
    const latest = await readFile(join(resultsDir, 'latest.json'), 'utf8');
    expect(await readFile(join(resultsDir, dated), 'utf8')).toBe(latest);
    expect((JSON.parse(latest) as RunResult).seed).toBe(7);
  });

  it('names files by start time and mode', async () => {
    const run = { date: '2025-11-24T10:15:30.123Z', mode: 'quick' } as RunResult;
    expect(resultFileName(run)).toBe('2025-11-24T101530Z-quick.json');
    const path = join(dir, 'nested', 'x.json');
    expect(await writeResults(run, { path })).toEqual([path]);
  });
});

describe('command line', () => {
  it('parses modes, suites and paths', () => {
    expect(parseCliArgs([])).toMatchObject({ mode: 'full', suites: [], list: false, help: false });
    expect(parseCliArgs(['--', '--quick'])).toMatchObject({ mode: 'quick' });
    expect(parseCliArgs(['--suite', 'a,b', '--suite', 'c', '--suite', 'a']).suites).toEqual(['a', 'b', 'c']);
    expect(parseCliArgs(['--json', 'out.json', '--seed', '42'])).toMatchObject({
      json: 'out.json',
      seed: 42,
    });
    expect(() => parseCliArgs(['--bogus'])).toThrow(UsageError);
    expect(() => parseCliArgs(['--quick', '--tiny'])).toThrow(UsageError);
    expect(() => parseCliArgs(['--seed', '-1'])).toThrow(UsageError);
    expect(() => selectSuites(SUITES, ['nope'])).toThrow(/unknown suite 'nope'; known suites: churn/);
  });

  it('lists suites, prints help and rejects bad usage with exit code 2', async () => {
    const io = captureIo();
    expect(await main(['--list'], io)).toBe(0);
    expect(io.out.join('')).toMatch(/^churn {2}Small-block churn/m);
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out.join('')).toContain('--suite NAME');
    expect(await main(['--suite', 'nope'], io)).toBe(2);
    expect(io.err.join('')).toContain("unknown suite 'nope'");
  });
});

describe('helpers', () => {
  it('Random is deterministic per seed and stays in range', () => {
    const a = new Random(1).ints(1000, 8, 512);
    expect(new Random(1).ints(1000, 8, 512)).toEqual(a);
    expect(new Random(2).ints(1000, 8, 512)).not.toEqual(a);
    expect(Math.min(...a)).toBe(8);
    expect(Math.max(...a)).toBe(512);
  });

  it('BareFreeList recycles blocks per size class', () => {
    const list = new BareFreeList(4096);
    const a = list.malloc(8);
    const b = list.malloc(17);
    expect(a % 16).toBe(0);
    expect(b - a).toBe(16);
    list.free(a, 8);
    expect(list.malloc(16)).toBe(a); // same class (1..16 B)
    expect(list.malloc(16)).toBe(b + 32); // class of 17..32 B is 32 B wide
    expect(list.footprintBytes()).toBe(16 + 16 + 32 + 16 + 128);
  });
});
