import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SCRIPT_TIMEOUT_MS = 180_000;

// The per-package install check: scripts/pack-smoke.mjs packs every public package with
// `pnpm pack`, installs the tarballs with plain
// npm into an empty project outside the workspace, and runs each package's README example there.
// It needs the packages built (the root `pnpm test` builds first).
describe('package install', () => {
  it(
    'every package installs from its tarball with npm and runs its README example',
    () => {
      let status: number | null = 0;
      let output: string;
      try {
        output = execFileSync(process.execPath, ['scripts/pack-smoke.mjs'], {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: SCRIPT_TIMEOUT_MS,
        });
      } catch (error) {
        const failed = error as {
          status: number | null;
          signal: string | null;
          stdout?: string;
          stderr?: string;
        };
        status = failed.status;
        output = `${failed.stdout ?? ''}${failed.stderr ?? ''}${failed.signal ? `\n(killed by ${failed.signal})` : ''}`;
      }
      expect(status, `node scripts/pack-smoke.mjs failed:\n${output}`).toBe(0);
      expect(output).toContain('pack-smoke: ok: @heapkit/memory README example runs from the packed tarball');
      expect(output).toContain(
        'pack-smoke: ok: @heapkit/arena-allocator README example runs from the packed tarball',
      );
      expect(output).toContain(
        'pack-smoke: ok: @heapkit/refcount README example runs from the packed tarball',
      );
      expect(output).toContain(
        'pack-smoke: ok: @heapkit/profiler README example runs from the packed tarball',
      );
      expect(output).toContain(
        'pack-smoke: ok: @heapkit/gc-generational README example runs from the packed tarball',
      );
    },
    SCRIPT_TIMEOUT_MS + 20_000,
  );
});
