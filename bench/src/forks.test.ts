/**
 * Forks (`forks.ts`): how a suite's results from several processes are combined, the command
 * line that asks for them, and a real run of the churn suite in two child processes. Never
 * asserts a time.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from './args.js';
import { combineForks, median, runFork } from './forks.js';
import { type MainIo, main } from './main.js';
import { MODES } from './modes.js';
import type { CaseResult, RunResult, SuiteResult } from './results.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapkit-forks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A case measured at `medianNs` (its other figures derived from it) over `samples` samples. */
function measured(name: string, medianNs: number, samples = 10): CaseResult {
  return {
    name,
    description: `${name} does its steps`,
    samples,
    totalOps: samples * 1000,
    medianNs,
    p75Ns: medianNs * 1.1,
    p99Ns: medianNs * 2,
    minNs: medianNs * 0.9,
    maxNs: medianNs * 3,
    meanNs: medianNs * 1.2,
    opsPerSec: 1e9 / medianNs,
    perForkMedianNs: [medianNs],
  };
}

/** One fork's result: `subject` and `peer` at the given medians, a ratio target of 0.9 and a slowdown target of 1.15. */
function fork(subjectNs: number, peerNs: number, extra: Partial<SuiteResult> = {}): SuiteResult {
  const ratio = peerNs / subjectNs;
  const slowdown = subjectNs / peerNs;
  return {
    name: 'churn',
    description: 'a suite',
    opName: 'step',
    subject: 'subject',
    opsPerCall: 1000,
    forks: 1,
    durationMs: 100,
    cases: [measured('subject', subjectNs), measured('peer', peerNs)],
    skipped: [],
    ratios: [{ peer: 'peer', ratio, target: 0.9, met: ratio >= 0.9, perFork: [ratio] }],
    slowdowns: [
      {
        case: 'subject',
        baseline: 'peer',
        ratio: slowdown,
        maxRatio: 1.15,
        met: slowdown <= 1.15,
        perFork: [slowdown],
      },
    ],
    memory: null,
    details: ['fork detail'],
    ...extra,
  };
}

describe('median', () => {
  it('is the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });
});

describe('combineForks', () => {
  it('takes each ratio and slowdown as the median of the forks’ own, keeping every fork’s value', () => {
    // Slowdowns 1.25, 1.10, 1.05: two of three forks meet 1.15, and so does their median.
    const combined = combineForks([fork(125, 100), fork(110, 100), fork(105, 100)]);
    expect(combined.forks).toBe(3);
    const slowdown = combined.slowdowns[0]!;
    expect(slowdown.perFork).toEqual([1.25, 1.1, 1.05]);
    expect(slowdown.ratio).toBe(1.1);
    expect(slowdown.met).toBe(true);
    const ratio = combined.ratios[0]!;
    expect(ratio.perFork).toEqual([100 / 125, 100 / 110, 100 / 105]);
    expect(ratio.ratio).toBe(100 / 110);
    expect(ratio.met).toBe(true);
  });

  it('judges a target by the median, not by the best or the worst fork', () => {
    const combined = combineForks([fork(105, 100), fork(125, 100), fork(130, 100)]);
    expect(combined.slowdowns[0]!.ratio).toBe(1.25);
    expect(combined.slowdowns[0]!.met).toBe(false);
    expect(combined.ratios[0]!.met).toBe(false);
  });

  it('combines a case’s figures: medians of the forks’, min and max over all, samples summed', () => {
    const combined = combineForks([fork(100, 50), fork(300, 50), fork(200, 50)]);
    const subject = combined.cases.find((c) => c.name === 'subject')!;
    expect(subject.medianNs).toBe(200);
    expect(subject.perForkMedianNs).toEqual([100, 300, 200]);
    expect(subject.opsPerSec).toBe(1e9 / 200);
    expect(subject.p75Ns).toBeCloseTo(220);
    expect(subject.p99Ns).toBe(400);
    expect(subject.minNs).toBe(90);
    expect(subject.maxNs).toBe(900);
    expect(subject.samples).toBe(30);
    expect(subject.totalOps).toBe(30_000);
    expect(subject.meanNs).toBeCloseTo(240);
    expect(combined.durationMs).toBe(300);
    expect(combined.details).toEqual(['fork detail']);
  });

  it('reports a case skipped in one fork from the forks that measured it, and one skipped in all as skipped', () => {
    const skippedPeer = { name: 'peer', description: 'peer does its steps', reason: 'failed in round 2' };
    const never = { name: 'cpython', description: 'not here', reason: 'python3 not found' };
    const withoutPeer = fork(100, 100, {
      cases: [measured('subject', 100)],
      ratios: [],
      slowdowns: [],
      skipped: [skippedPeer, never],
    });
    const combined = combineForks([withoutPeer, fork(100, 80, { skipped: [never] })]);
    expect(combined.cases.map((c) => c.name)).toEqual(['subject', 'peer']);
    expect(combined.cases.find((c) => c.name === 'peer')!.samples).toBe(10);
    expect(combined.skipped).toEqual([never]);
    expect(combined.ratios[0]!.perFork).toEqual([0.8]);
  });

  it('refuses no forks, and forks of different suites', () => {
    expect(() => combineForks([])).toThrow('at least one fork');
    expect(() => combineForks([fork(1, 1), fork(1, 1, { name: 'gc' })])).toThrow('different suites');
  });
});

describe('the command line', () => {
  it('takes --forks N from 1 to 50, and the mode’s default without it', () => {
    expect(parseCliArgs(['--forks', '3']).forks).toBe(3);
    expect(parseCliArgs([]).forks).toBeUndefined();
    expect(MODES.full.forks).toBe(5);
    expect(MODES.quick.forks).toBe(1);
    expect(MODES.tiny.forks).toBe(1);
    for (const bad of ['0', '51', '1.5', 'two', '-1', '']) {
      expect(() => parseCliArgs([`--forks=${bad}`])).toThrow(UsageError);
      expect(() => parseCliArgs([`--forks=${bad}`])).toThrow(/--forks must be an integer from 1 to 50/);
    }
  });

  it('runs a fork child for exactly one suite, with nothing it would ignore', () => {
    expect(parseCliArgs(['--fork-child', '--suite', 'gc']).forkChild).toBe(true);
    expect(() => parseCliArgs(['--fork-child'])).toThrow('--fork-child runs exactly one --suite');
    expect(() => parseCliArgs(['--fork-child', '--suite', 'gc,churn'])).toThrow(UsageError);
    for (const extra of [['--json', 'x.json'], ['--publish'], ['--forks', '2'], ['--list']]) {
      expect(() => parseCliArgs(['--fork-child', '--suite', 'gc', ...extra])).toThrow(
        '--fork-child writes to stdout only',
      );
    }
  });
});

describe('a run in forks', () => {
  it('measures the churn suite in two child processes and reports both forks', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: MainIo = {
      stdout: { write: (s: string) => out.push(s), isTTY: false },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
      env: { ...process.env, CI: 'true', HEAPKIT_BENCH_PYTHON: join(dir, 'no-python') },
      cwd: dir,
      color: false,
      resultsDir: join(dir, 'results'),
      publishDir: join(dir, 'publish'),
    };
    expect(await main(['--tiny', '--suite', 'churn', '--forks', '2', '--json', 'run.json'], io)).toBe(0);
    const run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as RunResult;
    expect(run.settings.forks).toBe(2);
    const churn = run.suites[0]!;
    expect(churn.forks).toBe(2);
    expect(churn.cases[0]!.name).toBe('heapkit');
    for (const r of [...churn.ratios, ...churn.slowdowns]) {
      expect(r.perFork).toHaveLength(2);
      expect(r.ratio).toBeCloseTo(median(r.perFork), 12);
    }
    // Each fork's progress reaches the parent's progress line, named by fork.
    const progress = err.join('');
    expect(progress).toContain('[1/1] churn fork 1/2: measure 2/2');
    expect(progress).toContain('[1/1] churn fork 2/2: done');
    expect(out.join('')).toMatch(/in each of 2 processes/);
    expect(out.join('')).toMatch(/Per fork: heapkit-2-in-1-memory \d+\.\d\d \d+\.\d\d;/);
  });

  it('fails with the child’s exit status and output when a fork fails', async () => {
    const request = { suite: 'no-such-suite', mode: 'tiny' as const, seed: 1, env: process.env };
    await expect(runFork(request, () => {})).rejects.toThrow(
      /a fork of suite 'no-such-suite' ended with exit code 2/,
    );
  });
});
