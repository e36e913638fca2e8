/**
 * The two commands the READMEs promise, run the way they say after a build (`pnpm test` builds
 * first): `pnpm exec mini-scheme FILE` (examples/mini-scheme/README.md) and `heapkit-profile`
 * (packages/profiler/README.md), from the repository root and from the package's own directory.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const execFileAsync = promisify(execFile);

/** `pnpm exec ...args` in `cwd` (relative to the root); resolves to status and output. */
async function pnpmExec(cwd: string, ...args: string[]): Promise<{ status: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('pnpm', ['exec', ...args], {
      cwd: path.join(ROOT, cwd),
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { status: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe.concurrent('bins after a build', () => {
  for (const [dir, name] of [
    ['packages/profiler', 'heapkit-profile'],
    ['examples/mini-scheme', 'mini-scheme'],
  ] as const) {
    it(`${name}'s bin is a committed file, so pnpm install links it before any build`, () => {
      const manifest = JSON.parse(readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8'));
      const target: string = manifest.bin[name];
      expect(target).not.toMatch(/^(\.\/)?dist\//);
      expect(existsSync(path.join(ROOT, dir, target))).toBe(true);
    });
  }

  it('pnpm exec mini-scheme FILE runs a program, from the package and from the root', async () => {
    const here = await pnpmExec('examples/mini-scheme', 'mini-scheme', 'examples/cycles.scm');
    expect(here.status, here.output).toBe(0);
    expect(here.output).toContain('collected by a full collection: #t');
    const root = await pnpmExec('.', 'mini-scheme', 'examples/mini-scheme/examples/cycles.scm');
    expect(root.status, root.output).toBe(0);
    expect(root.output).toContain('collected by a full collection: #t');
  }, 60_000);

  it('pnpm exec heapkit-profile answers --help with its commands, from the package and the root', async () => {
    for (const cwd of ['packages/profiler', '.']) {
      const { status, output } = await pnpmExec(cwd, 'heapkit-profile', '--help');
      expect(status, output).toBe(0);
      expect(output).toContain('Usage: heapkit-profile');
      for (const command of ['top', 'diff', 'flamegraph', 'pprof']) expect(output).toContain(command);
    }
  }, 60_000);

  it('a missing file is a clear mini-scheme error with a non-zero status', async () => {
    const { status, output } = await pnpmExec('examples/mini-scheme', 'mini-scheme', 'no-such-file.scm');
    expect(status).not.toBe(0);
    expect(output).toContain('no-such-file.scm');
  }, 60_000);
});
