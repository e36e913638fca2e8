/**
 * Every README code block typechecks (strict, against the built packages' `.d.ts`; `checkJs` for
 * JavaScript blocks) and runs: `scripts/readme-code.mjs` does the work, these tests hold it to it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const execFileAsync = promisify(execFile);

/** Runs the checker with `args`; resolves to its exit status and combined output. */
async function readmeCode(...args: string[]): Promise<{ status: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['scripts/readme-code.mjs', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { status: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const scratch = mkdtempSync(path.join(tmpdir(), 'readme-code-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A README in its own scratch directory holding `blocks` (each `[info string, code]`). */
function readme(name: string, blocks: [string, string][]): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'README.md');
  writeFileSync(
    file,
    blocks.map(([info, code]) => `Some prose.\n\n\`\`\`${info}\n${code}\n\`\`\`\n`).join('\n'),
  );
  return file;
}

describe('README code blocks', () => {
  it("every js/ts block of the repository's READMEs typechecks and runs", async () => {
    const { status, output } = await readmeCode();
    expect(status, output).toBe(0);
    for (const file of [
      'README.md',
      'packages/memory/README.md',
      'packages/arena-allocator/README.md',
      'packages/refcount/README.md',
      'packages/gc-generational/README.md',
      'packages/profiler/README.md',
      'examples/mini-scheme/README.md',
    ]) {
      expect(output).toContain(`readme-code: ok: ${file} block 1`);
    }
  }, 120_000);
});

// The checker's own failure modes, on scratch READMEs (two runs side by side: each run loads the
// TypeScript compiler, a few seconds of CPU).
describe.concurrent('the README code checker', () => {
  it('reports every type error, TypeScript and JavaScript (checkJs, no implicit any), with file and line', async () => {
    const file = readme('type-errors', [
      ['ts', "const n: number = 'one';\nconsole.log(n);"],
      ['js', 'export function twice(x) {\n  return 2 * x;\n}'],
    ]);
    const { status, output } = await readmeCode(file);
    expect(status).toBe(1);
    expect(output).toContain('2 type error(s) in README code');
    expect(output).toMatch(/type-errors-readme-md-1\.mts\(1,7\): error TS2322/);
    expect(output).toMatch(
      /type-errors-readme-md-2\.mjs\(1,23\): error TS7006: Parameter 'x' implicitly has an 'any' type/,
    );
  }, 60_000);

  it('skips a `ts signature` block, runs the others, and fails on one that throws, with its output', async () => {
    const file = readme('runs', [
      ['ts signature', 'malloc(size: number): Ptr;'],
      ['ts', 'const answer: number = 42;\nconsole.log(answer);'],
      ['js', "throw new Error('the example is wrong');"],
    ]);
    const { status, output } = await readmeCode(file);
    expect(status).toBe(1);
    expect(output).toMatch(/skipped \(signature\): .*runs\/README\.md block 1/);
    expect(output).toMatch(/runs\/README\.md block 3 does not run \(exit 1\)/);
    expect(output).toContain('the example is wrong');
    expect(output).not.toMatch(/block 2 does not run/);
  }, 60_000);
});
