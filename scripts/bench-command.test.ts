/**
 * `pnpm bench` (the root script) builds the bench and the packages it needs, then passes its flags
 * to the bench CLI alone: the flags are not part of any build task's hash, so after a build
 * `pnpm bench --help` and `pnpm bench --list` rebuild nothing, whatever the flags.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const execFileAsync = promisify(execFile);

/** `pnpm bench ...flags` from the root; the build output is turbo's, the rest the CLI's. */
async function pnpmBench(...flags: string[]): Promise<{ status: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('pnpm', ['bench', ...flags], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    return { status: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** turbo's summary line: every task of the build came from its cache. */
const ALL_CACHED = /Cached:\s+(\d+) cached, \1 total/;

describe('pnpm bench', () => {
  it('--help prints the usage after a build that is all cache hits', async () => {
    const { status, output } = await pnpmBench('--help');
    expect(status, output).toBe(0);
    expect(output).toContain('--suite NAME');
    expect(output).toMatch(ALL_CACHED);
  }, 300_000);

  it('--list with a new --seed lists the suites, and still rebuilds nothing', async () => {
    const seed = String(1000 + Math.floor(Math.random() * 1e6)); // a flag turbo has never seen
    const { status, output } = await pnpmBench('--list', '--seed', seed);
    expect(status, output).toBe(0);
    for (const suite of ['churn', 'binary-trees', 'profiler', 'gc'])
      expect(output).toMatch(new RegExp(`^${suite}\\s`, 'm'));
    expect(output).toMatch(ALL_CACHED);
  }, 300_000);

  it('an unknown flag reaches the CLI, which refuses it', async () => {
    const { status, output } = await pnpmBench('--no-such-flag');
    expect(status).not.toBe(0);
    expect(output).toContain('--no-such-flag');
  }, 300_000);
});
