/**
 * Smoke test of the harness: every suite runs in tiny mode through the CLI's own `main`; the
 * JSON it writes has every field, and the Markdown summary and the SVG chart are written (and
 * published only when asked). Never asserts a time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCliArgs, selectSuites, shouldPublish, UsageError } from './args.js';
import { chartData } from './chart.js';
import { formatRatio } from './format.js';
import { type MainIo, main } from './main.js';
import { MODES } from './modes.js';
import { wasmUnavailable } from './peers/assemblyscript.js';
import { BareFreeList } from './peers/bare-free-list.js';
import { Random } from './random.js';
import type { RunResult } from './results.js';
import { SUITES } from './suites/index.js';
import { resultFileName, writeOutputs } from './write-results.js';

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
    publishDir: join(dir, 'publish'),
  };
}

/** Parses `text` as XML (throwing on any error) and returns the name of its root element. */
function xmlRoot(text: string): string {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`not XML: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = new XMLParser({ ignoreAttributes: false }).parse(text) as Record<string, unknown>;
  return Object.keys(doc).filter((k) => !k.startsWith('?'))[0]!;
}

const hasPython = spawnSync('python3', ['--version']).status === 0;

const isNumber = (x: unknown): boolean => typeof x === 'number' && !Number.isNaN(x);

describe('bench --tiny', () => {
  let run: RunResult;
  let io: ReturnType<typeof captureIo>;

  beforeAll(async () => {
    io = captureIo();
    const code = await main(['--tiny', '--publish'], io);
    expect(io.err.join('')).not.toMatch(/bench: .*Error/);
    expect(code).toBe(0);
    run = JSON.parse(await readFile(join(io.resultsDir, 'latest.json'), 'utf8')) as RunResult;
  }, 60_000); // every suite in --tiny mode, CPython peers included: a few seconds, more on a loaded machine

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
      const subjectRatios = SUITES.find((s) => s.name === suite.name)!.subjectRatios !== false;
      expect(suite.ratios.map((r) => r.peer)).toEqual(subjectRatios ? peers : []);
      for (const r of suite.ratios) {
        expect(isNumber(r.ratio)).toBe(true);
        expect(r.met === null).toBe(r.target === null);
      }
    }
    const churn = run.suites.find((s) => s.name === 'churn')!;
    expect(Object.fromEntries(churn.ratios.map((r) => [r.peer, r.target]))).toMatchObject({
      'checked-free-list': 0.9,
      'bare-free-list': 0.6,
      'thi.ng/malloc': 100,
      'v8-object': null,
      uint8array: null,
    });
    expect(churn.slowdowns.map((d) => [d.case, d.baseline, d.maxRatio])).toEqual([
      ['heapkit-2-in-1-memory', 'heapkit-1-in-table', 1.05],
      ['heapkit-1-in-table', 'heapkit', null],
      ['heapkit-shared', 'heapkit', 1.05],
    ]);
    const trees = run.suites.find((s) => s.name === 'binary-trees')!;
    expect(trees.opName).toBe('program run');
    expect(trees.opsPerCall).toBe(1);
    expect(trees.subject).toBe('heapkit');
    expect(Object.fromEntries(trees.ratios.map((r) => [r.peer, r.target]))).toMatchObject({
      'v8-object': 0.5,
      'checked-int32-heap': null,
    });
    const treesRows = [...trees.cases, ...trees.skipped].map((c) => c.name).sort();
    expect(treesRows).toEqual(['assemblyscript', 'checked-int32-heap', 'cpython', 'heapkit', 'v8-object']);
  });

  it('runs the AssemblyScript peers when they are built, and says how to build them otherwise', () => {
    for (const [name, file, target] of [
      ['churn', 'churn.wasm', null],
      ['binary-trees', 'binary-trees.wasm', 2],
    ] as const) {
      const suite = run.suites.find((s) => s.name === name)!;
      const as = suite.cases.find((c) => c.name === 'assemblyscript');
      if (wasmUnavailable(file) === null) {
        expect(as, JSON.stringify(suite.skipped)).toBeDefined();
        expect(as!.description).toContain('TLSF + incremental GC');
        expect(suite.ratios.find((r) => r.peer === 'assemblyscript')!.target).toBe(target);
      } else {
        expect(suite.skipped.find((c) => c.name === 'assemblyscript')!.reason).toMatch(
          new RegExp(
            `^not built: run \`pnpm build\` \\(bench/dist/wasm/${file.replace('.', '\\.')} is missing\\)$`,
          ),
        );
      }
    }
  });

  it('runs the CPython peers when python3 is here, and says why not otherwise', () => {
    for (const [name, target] of [
      ['churn', null],
      ['binary-trees', 6],
    ] as const) {
      const suite = run.suites.find((s) => s.name === name)!;
      expect(Array.isArray(suite.skipped)).toBe(true);
      const cpython = suite.cases.find((c) => c.name === 'cpython');
      if (hasPython) {
        expect(cpython, JSON.stringify(suite.skipped)).toBeDefined();
        expect(cpython!.description).toMatch(/\(CPython 3\.\d+\.\d+.*\)$/);
        expect(cpython!.samples).toBeGreaterThanOrEqual(MODES.tiny.rounds * MODES.tiny.minSamplesPerRound);
        expect(suite.ratios.find((r) => r.peer === 'cpython')!.target).toBe(target);
      } else {
        expect(suite.skipped.find((c) => c.name === 'cpython')!.reason).toBe('python3 not found');
      }
    }
  });

  it('has the profiler suite’s slowdowns against the untraced run, with their targets', () => {
    const profiler = run.suites.find((s) => s.name === 'profiler')!;
    expect(profiler.subject).toBe('untraced');
    const byCase = Object.fromEntries(profiler.slowdowns.map((s) => [s.case, s]));
    expect(Object.keys(byCase)).toEqual(
      expect.arrayContaining(['runtime-exact-1', 'js-sampled-512k', 'js-exact-1', 'js-exact-25']),
    );
    expect(byCase['runtime-exact-1']!.maxRatio).toBe(2);
    expect(byCase['js-sampled-512k']!.maxRatio).toBe(1.1);
    expect(byCase['js-exact-25']!.maxRatio).toBeNull();
    for (const s of profiler.slowdowns) {
      const c = profiler.cases.find((x) => x.name === s.case)!;
      const b = profiler.cases.find((x) => x.name === s.baseline)!;
      expect(s.ratio).toBeCloseTo(c.medianNs / b.medianNs, 12);
      expect(s.met === null).toBe(s.maxRatio === null);
      if (s.maxRatio !== null) expect(s.met).toBe(s.ratio <= s.maxRatio);
    }
    if (hasPython) {
      expect(byCase['cpython-tracemalloc']!.baseline).toBe('cpython');
      expect(profiler.cases.find((c) => c.name === 'cpython-tracemalloc')!.description).toMatch(
        /tracemalloc\.start\(1\).*\(CPython 3\.\d+\.\d+.*\)$/,
      );
    } else {
      expect(profiler.skipped.map((c) => c.name)).toEqual(['cpython', 'cpython-tracemalloc']);
    }
    expect(run.suites.find((s) => s.name === 'churn')!.slowdowns.map((s) => s.case)).toEqual([
      'heapkit-2-in-1-memory',
      'heapkit-1-in-table',
      'heapkit-shared',
    ]);
    expect(io.out.join('')).toMatch(/^Slowdown: median time per operation ÷ the baseline's$/m);
    expect(io.out.join('')).toMatch(
      /^│ runtime-exact-1 +│ untraced │ +[\d.]+× │ ≤ 2\.00× │ (met|not met) +│$/m,
    );
  });

  it('has the workers suite’s cases, its targets against one worker, and its figures per CPU-second', () => {
    const workers = run.suites.find((s) => s.name === 'workers')!;
    expect(workers.subject).toBe('2-workers');
    expect(workers.cases.map((c) => c.name).slice(0, 3)).toEqual([
      '2-workers',
      '1-worker',
      '2-workers-cross-10',
    ]);
    expect(workers.ratios.find((r) => r.peer === '1-worker')!.target).toBe(1.6);
    expect(workers.slowdowns.map((d) => [d.case, d.baseline])).toEqual([['2-workers-cross-10', '1-worker']]);
    expect(workers.details).toContainEqual(
      expect.stringMatching(/^1-worker: [\d.]+ M steps per CPU-second, \d+ pools in use at the end$/),
    );
    expect(workers.details).toContainEqual(
      expect.stringMatching(/^2-workers ÷ 1-worker per CPU-second: [\d.]+×/),
    );
    expect(io.out.join('')).toMatch(/^2-workers-cross-10: [\d.]+ M steps per CPU-second/m);
  });

  it('has the gc suite’s cases, its slowdowns with their targets, and no subject ratios', () => {
    const gc = run.suites.find((s) => s.name === 'gc')!;
    expect(gc.opsPerCall).toBe(1);
    expect(gc.ratios).toEqual([]);
    expect(gc.cases.slice(0, 5).map((c) => c.name)).toEqual([
      'cycles-collect',
      'full-live',
      'binary-trees-gc-on',
      'binary-trees-gc-on-scaled',
      'binary-trees-gc-off',
    ]);
    const cpython = ['cpython-cycles-collect', 'cpython-full-live'];
    if (hasPython) {
      expect(gc.cases.slice(5).map((c) => c.name)).toEqual(cpython);
      for (const c of gc.cases.slice(5)) {
        expect(c.description).toMatch(/gc\.collect\(\).*\(CPython 3\.\d+\.\d+.*\)$/);
        expect(c.samples).toBeGreaterThanOrEqual(MODES.tiny.rounds * MODES.tiny.minSamplesPerRound);
      }
    } else {
      expect(gc.skipped.map((c) => [c.name, c.reason])).toEqual(cpython.map((n) => [n, 'python3 not found']));
    }
    const targets = Object.fromEntries(gc.slowdowns.map((s) => [`${s.case} ÷ ${s.baseline}`, s.maxRatio]));
    expect(targets).toEqual({
      'binary-trees-gc-on ÷ binary-trees-gc-off': 1.15,
      'binary-trees-gc-on-scaled ÷ binary-trees-gc-off': 1.15,
      ...(hasPython
        ? { 'cycles-collect ÷ cpython-cycles-collect': 0.7, 'full-live ÷ cpython-full-live': 0.85 }
        : {}),
    });
    for (const s of gc.slowdowns) {
      const c = gc.cases.find((x) => x.name === s.case)!;
      const b = gc.cases.find((x) => x.name === s.baseline)!;
      expect(s.ratio).toBeCloseTo(c.medianNs / b.medianNs, 12);
      expect(s.met).toBe(s.ratio <= s.maxRatio!);
    }
    const memory = gc.memory!;
    expect(memory.figures.map((f) => f.case)).toEqual([
      'binary-trees-gc-on',
      'binary-trees-gc-on-scaled',
      'binary-trees-gc-off',
    ]);
    for (const f of memory.figures) {
      expect(f.footprintBytes).toBeGreaterThanOrEqual(memory.requestedBytes);
      expect(f.ratio).toBeCloseTo(f.footprintBytes! / memory.requestedBytes, 12);
    }
    // No ratio columns in its table (nor its ratio note).
    const out = io.out.join('');
    expect(out).toMatch(/^│ case +│ median\/op +│ +p75 │ +p99 │ +ops\/s │ samples │ +│$/m);
    expect(out).not.toContain('cycles-collect ÷ case');
    expect(out).toMatch(
      /^│ cycles-collect +│ cpython-cycles-collect │ +[\d.]+× │ ≤ 0\.70× │ (met|not met) +│$/m,
    );
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
  it('writes the dated JSON and latest.{json,md,svg}, and publishes with --publish', async () => {
    const resultsDir = join(dir, 'results');
    const files = (await readdir(resultsDir)).sort();
    expect(files).toHaveLength(4);
    expect(files).toEqual(expect.arrayContaining(['latest.json', 'latest.md', 'latest.svg']));
    const dated = files.find((f) => !f.startsWith('latest.'))!;
    expect(dated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{6}Z-tiny\.json$/);
    const latest = await readFile(join(resultsDir, 'latest.json'), 'utf8');
    expect(await readFile(join(resultsDir, dated), 'utf8')).toBe(latest);
    // The run of 'bench --tiny' above passed --publish: the tracked copies went to publishDir.
    expect((await readdir(join(dir, 'publish'))).sort()).toEqual(['RESULTS.md', 'results.svg']);
  });

  it('writes a Markdown summary naming every suite, the environment and the chart', async () => {
    const run = JSON.parse(await readFile(join(dir, 'results', 'latest.json'), 'utf8')) as RunResult;
    const md = await readFile(join(dir, 'results', 'latest.md'), 'utf8');
    expect(md).toMatch(/^# heapkit benchmark results\n/);
    expect(md).toContain(`| Node | ${process.version}`);
    expect(md).toContain('![');
    expect(md).toContain('(latest.svg)');
    for (const suite of run.suites) {
      expect(md).toContain(`## \`${suite.name}\``);
      for (const c of suite.cases)
        expect(md).toMatch(new RegExp(`^\\| (\\*\\*)?${escapeRegExp(c.name)}(\\*\\*)? \\|`, 'm'));
      if (suite.memory !== null) expect(md).toContain(`### Memory: ${suite.memory.description}`);
    }
    expect(md).toMatch(/\| ≥ 0\.90× \| (✅ met|❌ not met) \|/);
    expect(md).toContain("### Slowdown: median time per operation ÷ the baseline's");
    expect(md).toMatch(/^\| js-sampled-512k \| untraced \| [\d.]+× \| ≤ 1\.10× \| (✅ met|❌ not met) \|$/m);
    // gc: no ratio columns; its comparisons are slowdowns.
    expect(md).toMatch(/^## `gc` .*\n\n\| case \| median\/op \| p75 \| p99 \| ops\/s \| samples \|\n/m);
    expect(md).toMatch(
      /^\| binary-trees-gc-on \| binary-trees-gc-off \| [\d.]+× \| ≤ 1\.15× \| (✅ met|❌ not met) \|$/m,
    );
    expect(md).toMatch(/slowdown targets met/);
    const published = await readFile(join(dir, 'publish', 'RESULTS.md'), 'utf8');
    expect(published).toContain('(results.svg)');
    expect(published.replace('(results.svg)', '(latest.svg)').replace('(README.md)', '(../README.md)')).toBe(
      md,
    );
  });

  it('writes the chart as an SVG document with a bar per peer and per slowdown', async () => {
    const run = JSON.parse(await readFile(join(dir, 'results', 'latest.json'), 'utf8')) as RunResult;
    const svg = await readFile(join(dir, 'results', 'latest.svg'), 'utf8');
    expect(xmlRoot(svg)).toBe('svg');
    expect(svg.trimStart().startsWith('<svg')).toBe(true);
    for (const suite of run.suites) {
      // A suite without ratios (gc: compared pair by pair) is charted through its slowdowns.
      if (suite.ratios.length === 0) expect(svg).toContain(`${suite.name}: baseline time ÷ case time`);
      else expect(svg).toContain(`${suite.name}: ${suite.subject} ÷ peer`);
      // the bars' aria-labels (a peer with a slowdown against the subject is drawn as that)
      for (const r of suite.ratios) expect(svg).toContain(`row: ${r.peer}`);
      for (const d of suite.slowdowns) expect(svg).toContain(`row: ${d.case} vs ${d.baseline}`);
    }
    expect(await readFile(join(dir, 'publish', 'results.svg'), 'utf8')).toBe(svg);
    const bars = chartData(run);
    const duplicates = (s: (typeof run.suites)[number]) =>
      s.ratios.filter((r) => s.slowdowns.some((d) => d.case === r.peer && d.baseline === s.subject)).length;
    expect(bars.length).toBe(
      run.suites.reduce((n, s) => n + s.ratios.length + s.slowdowns.length - duplicates(s), 0),
    );
    expect(bars.find((b) => b.peer === 'checked-free-list')!.row).toBe('checked-free-list (target ≥ 0.90×)');
    const slowdown = run.suites.flatMap((s) => s.slowdowns).find((d) => d.maxRatio !== null)!;
    const bar = bars.find((b) => b.peer === `${slowdown.case} vs ${slowdown.baseline}`)!;
    expect(bar.ratio).toBeCloseTo(1 / slowdown.ratio, 12); // drawn as baseline time ÷ case time
    expect(bar.target).toBeCloseTo(1 / slowdown.maxRatio!, 12);
    expect(bar.label).toBe(`${formatRatio(1 / slowdown.ratio)} (time ${formatRatio(slowdown.ratio)})`);
  });

  it('formats ratios with enough digits', () => {
    expect([0.0052, 0.37, 0.5, 1.2, 12.34, 3535.4].map(formatRatio)).toEqual([
      '0.0052×',
      '0.37×',
      '0.50×',
      '1.20×',
      '12.3×',
      '3535×',
    ]);
  });

  it('without --publish leaves the tracked copies alone', async () => {
    const io = captureIo();
    const resultsDir = join(dir, 'unpublished');
    const publishDir = join(dir, 'not-published');
    expect(await main(['--tiny', '--suite', 'churn', '--seed', '7'], { ...io, resultsDir, publishDir })).toBe(
      0,
    );
    expect(await readdir(resultsDir)).toHaveLength(4);
    expect(existsSync(publishDir)).toBe(false);
    expect((JSON.parse(await readFile(join(resultsDir, 'latest.json'), 'utf8')) as RunResult).seed).toBe(7);
    expect(io.out.join('')).toContain('Not published');
  });

  it('skips the CPython peer with a clear message when python3 is missing', async () => {
    const io = captureIo();
    const env = { ...io.env, HEAPKIT_BENCH_PYTHON: join(dir, 'nonexistent') };
    const resultsDir = join(dir, 'no-python');
    expect(await main(['--tiny', '--suite', 'churn'], { ...io, env, resultsDir })).toBe(0);
    const message = `skipped: python3 not found (HEAPKIT_BENCH_PYTHON=${env.HEAPKIT_BENCH_PYTHON})`;
    expect(io.out.join('')).toMatch(new RegExp(`^│ cpython .*│ ${escapeRegExp(message)} │$`, 'm'));
    const run = JSON.parse(await readFile(join(resultsDir, 'latest.json'), 'utf8')) as RunResult;
    const churn = run.suites[0]!;
    expect(churn.cases.map((c) => c.name)).not.toContain('cpython');
    expect(churn.ratios.map((r) => r.peer)).not.toContain('cpython');
    expect(churn.skipped.find((c) => c.name === 'cpython')).toEqual({
      name: 'cpython',
      description: expect.stringContaining('bytearray'),
      reason: message.slice('skipped: '.length),
    });
    expect(await readFile(join(resultsDir, 'latest.md'), 'utf8')).toContain(`| cpython | ${message} |`);
    expect(await readFile(join(resultsDir, 'latest.svg'), 'utf8')).toContain(
      `Not measured: cpython (${message.slice('skipped: '.length)})`,
    );
  });

  it('with --json writes only that file', async () => {
    const io = captureIo();
    const resultsDir = join(dir, 'json-only');
    const publishDir = join(dir, 'json-only-publish');
    expect(
      await main(['--tiny', '--suite', 'churn', '--json', 'x/out.json'], { ...io, resultsDir, publishDir }),
    ).toBe(0);
    expect((JSON.parse(await readFile(join(dir, 'x', 'out.json'), 'utf8')) as RunResult).mode).toBe('tiny');
    expect(existsSync(resultsDir)).toBe(false);
    expect(existsSync(publishDir)).toBe(false);
  });

  it('names files by start time and mode', async () => {
    const run = { date: '2025-11-24T10:15:30.123Z', mode: 'quick' } as RunResult;
    expect(resultFileName(run)).toBe('2025-11-24T101530Z-quick.json');
    const path = join(dir, 'nested', 'x.json');
    expect(await writeOutputs(run, { jsonPath: path, resultsDir: join(dir, 'unused') })).toEqual([path]);
  });

  it('publishes full runs of every suite, and other runs only with --publish', () => {
    expect(shouldPublish(parseCliArgs([]))).toBe(true);
    expect(shouldPublish(parseCliArgs(['--suite', 'churn']))).toBe(false);
    expect(shouldPublish(parseCliArgs(['--quick']))).toBe(false);
    expect(shouldPublish(parseCliArgs(['--tiny']))).toBe(false);
    expect(shouldPublish(parseCliArgs(['--quick', '--publish']))).toBe(true);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

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
    expect(() => selectSuites(SUITES, ['nope'])).toThrow(
      /unknown suite 'nope'; known suites: churn, binary-trees, profiler, gc, workers$/,
    );
  });

  it('lists suites, prints help and rejects bad usage with exit code 2', async () => {
    const io = captureIo();
    expect(await main(['--list'], io)).toBe(0);
    expect(io.out.join('')).toMatch(/^churn {2,}Small-block churn/m);
    expect(io.out.join('')).toMatch(/^binary-trees {2,}binary-trees \(benchmarks game\) at depth 16/m);
    expect(io.out.join('')).toMatch(/^profiler {2,}Profiler overhead/m);
    expect(io.out.join('')).toMatch(/^gc {2,}Cycle collector vs CPython’s gc/m);
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
