import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-program.js';
import { examplePath } from './test-support/run.js';

const dir = mkdtempSync(join(tmpdir(), 'mini-scheme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(
  argv: string[],
  stdin?: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    ...(stdin ? { stdin: Readable.from([stdin.map((line) => `${line}\n`).join('')]) } : {}),
  });
  return { code, stdout, stderr };
}

describe('the mini-scheme CLI', () => {
  it('runs a file', async () => {
    const { code, stdout, stderr } = await run([examplePath('cycles.scm')]);
    expect(code).toBe(0);
    expect(stdout).toBe('counted: 10000\nparity of 7: odd\ncollected by a full collection: #t\n');
    expect(stderr).toBe('');
  });

  it('--trace-alloc=N prints the top N Scheme lines at exit', async () => {
    const file = examplePath('leak.scm');
    const { code, stderr } = await run([file, '--trace-alloc=3']);
    expect(code).toBe(0);
    const rows = stderr.split('\n');
    expect(rows[0]).toMatch(/^Top 3 places by lineno; \d+ traces, exact$/);
    expect(rows[2]).toMatch(new RegExp(`^1 .*${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7$`));
    expect(rows[3]).toMatch(/leak\.scm:8$/);
  });

  it('--trace-alloc alone shows ten lines', async () => {
    const { stderr } = await run([examplePath('binary-trees.scm'), '--trace-alloc']);
    expect(stderr).toMatch(/^Top 10 places by lineno/);
    expect(stderr).toMatch(/binary-trees\.scm:8\n/);
  });

  it('--gc-stats prints collections per generation and pauses', async () => {
    const { code, stderr } = await run([examplePath('cycles.scm'), '--gc-stats']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/generation 0: [1-9]\d* collections, \d+ collected, 0 uncollectable/);
    expect(stderr).toMatch(/generation 2: [1-9]\d* collections/);
    expect(stderr).toMatch(/pauses: [1-9]\d*, total [\d.]+ ms, max [\d.]+ ms, mean [\d.]+ ms/);
  });

  it('--debug-malloc validates the heap at exit and prints the allocator stats', async () => {
    const { code, stdout, stderr } = await run([examplePath('binary-trees.scm'), '--debug-malloc']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/long lived tree of depth 10\t check: 2047/);
    expect(stderr).toMatch(/debug-malloc: heap validated/);
    expect(stderr).toMatch(/Small block threshold = 512/);
  });

  it('a Scheme error exits 1 with file:line on stderr', async () => {
    const file = join(dir, 'bad.scm');
    writeFileSync(file, '(display "start")\n(newline)\n(undefined-thing 1)\n');
    const { code, stdout, stderr } = await run([file]);
    expect(code).toBe(1);
    expect(stdout).toBe('start\n');
    expect(stderr).toBe(`error: ${file}:3: unbound variable: undefined-thing\n`);
  });

  it('--heap-limit turns runaway allocation into an out-of-memory error', async () => {
    const file = join(dir, 'grow.scm');
    writeFileSync(
      file,
      "(define l '())\n(define (grow) (set! l (cons (make-vector 50 0) l)) (grow))\n(grow)\n",
    );
    const { code, stderr } = await run([file, '--heap-limit', String(2 << 20), '--debug-malloc']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/error: .*grow\.scm:2: out of memory \(heap limit 2097152 bytes\)/);
    expect(stderr).toMatch(/debug-malloc: heap validated/);
  });

  it('usage errors come from commander', async () => {
    const { code, stderr } = await run(['--heap-limit', 'lots']);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/must be a positive integer/);
  });

  it('runs a REPL without a file: multi-line input, errors that do not end the session', async () => {
    const { code, stdout } = await run(
      [],
      ['(define x 2)', '(* x 21)', '(car x)', '(+ 1', '   2)', '"done"'],
    );
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'mini-scheme REPL (a heapkit heap); end with Ctrl-D',
        '> > 42',
        '> error: <stdin>:3: car: expected a pair, got 2',
        '> . 3',
        '> "done"',
        '> ',
        '',
      ].join('\n'),
    );
  });
});
