/**
 * The built `heapkit-profile` bin (dist/cli.js, as npm links it) run with node on snapshots
 * dumped by a real profiling session. Needs `pnpm build` first (the root `pnpm test` builds).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { Profile } from 'pprof-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-program.js';
import { Profiler } from './profiler.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(
  PACKAGE,
  JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')).bin['heapkit-profile'],
);
let dir: string;
let before: string;
let after: string;

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The bin's stdout as bytes (for pprof's gzipped output). */
function cliBytes(...args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm build first`);
  dir = mkdtempSync(join(tmpdir(), 'heapkit-profile-cli-'));
  // A small "interpreter" session: guest frames from a RuntimeFrameStack.
  const stack = new RuntimeFrameStack();
  const profiler = new Profiler({ frameSource: stack });
  const heap = profiler.wrap(new ArenaAllocator());
  profiler.start(4);
  const main = stack.registerFile('main.py');
  const parser = stack.registerFile('parser.py');
  stack.push(main, 3);
  for (let i = 0; i < 10; i++) heap.malloc(100);
  before = join(dir, 'before.hksnap');
  profiler.takeSnapshot().dump(before);
  stack.push(parser, 42);
  for (let i = 0; i < 50; i++) heap.malloc(1000);
  stack.pop();
  after = join(dir, 'after.hksnap');
  profiler.takeSnapshot().dump(after);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('heapkit-profile', () => {
  it('top prints the largest places', () => {
    const r = cli('top', after, '--limit', '5');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Top 5 places by lineno; 60 traces, exact\n/);
    expect(r.stdout).toMatch(/^1 +48\.8 KiB +50 +1000 B +parser\.py:42$/m);
    expect(r.stdout).toMatch(/^2 +1000 B +10 +100 B +main\.py:3$/m);
    const tb = cli('top', after, '-k', 'traceback');
    expect(tb.stdout).toContain('        File "parser.py", line 42\n        File "main.py", line 3\n');
    expect(cli('top', after, '-k', 'filename', '--cumulative').stdout).toMatch(
      /^1 +49\.8 KiB +60 .* main\.py$/m,
    );
  });

  it('diff prints what changed', () => {
    const r = cli('diff', before, after);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^1 +48\.8 KiB +\+48\.8 KiB +50 +\+50 +parser\.py:42$/m);
    expect(r.stdout).toContain('Total change: +48.8 KiB');
  });

  it('flamegraph writes an HTML page, of a snapshot or of a change', () => {
    const out = join(dir, 'flame.html');
    const r = cli('flamegraph', after, '-o', out, '--title', 'after');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`wrote ${out}\n`);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<title>after</title>');
    expect(html).toContain('parser.py:42');
    const diffOut = join(dir, 'diff.html');
    expect(cli('flamegraph', after, '--base', before, '-o', diffOut).status).toBe(0);
    expect(readFileSync(diffOut, 'utf8')).toContain('heapkit memory flame graph diff');
  });

  it('pprof writes a gzipped profile that decodes', () => {
    const out = join(dir, 'heap.pb.gz');
    expect(cli('pprof', after, '-o', out).status).toBe(0);
    const profile = Profile.decode(gunzipSync(readFileSync(out)));
    const totals = profile.sample.reduce((n, s) => n + Number(s.value[1]), 0);
    expect(totals).toBe(51000);
  });

  it('prints its version with --version and -V', () => {
    const { version } = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const r = cli(flag);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
      expect(r.stderr).toBe('');
    }
  });

  it('flamegraph writes the page to stdout with -o - or without -o', () => {
    for (const args of [['-o', '-'], []]) {
      const r = cli('flamegraph', after, ...args, '--title', 'to stdout');
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^<!doctype html>/);
      expect(r.stdout).toContain('<title>to stdout</title>');
      expect(r.stdout).not.toContain('wrote');
    }
    expect(existsSync(join(dir, '-'))).toBe(false);
  });

  it('pprof writes the gzipped profile to stdout with -o -, or without -o when piped', () => {
    for (const args of [['-o', '-'], []]) {
      const r = cliBytes('pprof', after, ...args);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      const profile = Profile.decode(gunzipSync(r.stdout));
      expect(profile.sample.reduce((n, s) => n + Number(s.value[1]), 0)).toBe(51000);
    }
  });

  it('pprof without -o refuses to write binary to a terminal (in-process, stdout a TTY)', async () => {
    const out: (string | Uint8Array)[] = [];
    const err: string[] = [];
    const io = {
      stdout: { isTTY: true, write: (c: string | Uint8Array) => out.push(c) },
      stderr: { write: (t: string) => err.push(t) },
    };
    expect(await runCli(['pprof', after], io)).toBe(1);
    expect(out).toEqual([]);
    expect(err.join('')).toMatch(
      /pprof writes a gzipped binary profile, not for a terminal: pass -o heap\.pb\.gz/,
    );
    // -o - says: write there anyway.
    expect(await runCli(['pprof', after, '-o', '-'], io)).toBe(0);
    expect(out.length).toBe(1);
    expect(gunzipSync(out[0] as Uint8Array).length).toBeGreaterThan(0);
  });

  it('has --help for the program and each command', () => {
    const top = cli('--help');
    expect(top.status).toBe(0);
    for (const command of ['top', 'diff', 'flamegraph', 'pprof']) {
      expect(top.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
      const help = cli(command, '--help');
      expect(help.status, command).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: heapkit-profile ${command} `));
    }
    expect(cli('top', '--help').stdout).toContain('--key-type <type>');
    expect(cli('flamegraph', '--help').stdout).toContain('--base <old>');
  });

  it('fails clearly on bad input: unreadable, foreign, truncated files and bad options', () => {
    const missing = cli('top', join(dir, 'nope.hksnap'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      `heapkit-profile: ${join(dir, 'nope.hksnap')}: not a readable heapkit snapshot: cannot read the file (ENOENT)\n`,
    );
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, '{}');
    expect(cli('top', foreign).stderr).toMatch(/foreign\.json: not a readable heapkit snapshot: wrong magic/);
    const truncated = join(dir, 'truncated.hksnap');
    writeFileSync(truncated, readFileSync(after).subarray(0, 100));
    const t = cli('diff', before, truncated);
    expect(t.status).toBe(1);
    expect(t.stderr).toMatch(
      /truncated\.hksnap: not a readable heapkit snapshot: truncated: 100 of \d+ bytes/,
    );
    const badKey = cli('top', after, '-k', 'line');
    expect(badKey.status).toBe(1);
    expect(badKey.stderr).toContain(
      "option '-k, --key-type <type>' argument 'line' is invalid. must be 'filename', 'lineno', 'traceback' or 'function'",
    );
    expect(cli('top', after, '-n', '0').stderr).toContain('must be a positive integer');
    expect(cli('pprof', after, '-o').stderr).toContain("option '-o, --output <file>' argument missing");
    expect(cli('bogus').stderr).toContain("unknown command 'bogus'");
    const none = cli();
    expect(none.status).toBe(1);
    expect(none.stdout).toContain('Usage: heapkit-profile');
    const cumulativeTraceback = cli('top', after, '-k', 'traceback', '-c');
    expect(cumulativeTraceback.status).toBe(1);
    expect(cumulativeTraceback.stderr).toBe(
      "heapkit-profile: cumulative mode cannot be used with keyType 'traceback'\n",
    );
  });
});
