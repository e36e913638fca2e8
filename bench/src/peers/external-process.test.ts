/**
 * The external-peer machinery, with fake peers written in JS (run by this very Node) so the
 * protocol, its failures and the runner's handling of them are tested without Python; plus the
 * inputs file read back by the real Python side when `python3` is there. Never asserts a time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES } from '../modes.js';
import { runSuites } from '../runner.js';
import { type ExternalCase, PeerUnavailableError, type Suite } from '../suite.js';
import { encodeInputs, processPeer } from './external-process.js';
import { PYTHON_DIR, pythonPeer } from './python.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapkit-bench-peer-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A peer in JS speaking the protocol. `behaviour` decides each round: 'ok' answers samples,
 * 'exit' dies with status 3 after writing to stderr, 'garbage' writes a non-JSON line.
 */
async function fakePeer(name: string, behaviour: string[]): Promise<ExternalCase> {
  const script = join(dir, `${name}.cjs`);
  await writeFile(
    script,
    `const fs = require('node:fs');
const behaviour = ${JSON.stringify(behaviour)};
const inputs = fs.readFileSync(process.argv[2]);
if (inputs.subarray(0, 4).toString() !== 'HKIN') { console.error('bad inputs'); process.exit(4); }
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
send({ ready: true, version: 'FakePeer 1.0' });
let round = 0;
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line);
  if (cmd.cmd === 'warmup') return send({ done: true });
  if (cmd.cmd === 'exit') process.exit(0);
  const what = behaviour[round++] ?? 'ok';
  if (what === 'exit') { console.error('fake peer: boom'); process.exit(3); }
  if (what === 'garbage') return process.stdout.write('not json\\n');
  send({ samples: Array.from({ length: Math.max(cmd.min_samples, 3) }, (_, i) => 1000 + i) });
});
`,
  );
  return processPeer({
    name,
    description: 'a fake peer',
    command: process.execPath,
    commandLabel: 'fake',
    args: (inputsPath) => [script, inputsPath],
    inputs: { xs: Uint32Array.of(1, 2, 3) },
  });
}

describe('processPeer', () => {
  it('starts, warms up, measures and closes', async () => {
    const session = await (await fakePeer('good', [])).start();
    expect(session.description).toBe('a fake peer (FakePeer 1.0)');
    await session.warmup(1);
    expect(await session.round(1, 2)).toEqual([1000, 1001, 1002]);
    await session.close();
    await session.close(); // twice is fine
  });

  it('reports a missing command as unavailable, naming it', async () => {
    const peer = processPeer({
      name: 'x',
      description: 'x',
      command: join(dir, 'does-not-exist'),
      commandLabel: 'python3',
      commandNote: '(HEAPKIT_BENCH_PYTHON=/nope)',
      args: () => [],
      inputs: {},
    });
    await expect(peer.start()).rejects.toThrow(PeerUnavailableError);
    await expect(peer.start()).rejects.toThrow('python3 not found (HEAPKIT_BENCH_PYTHON=/nope)');
  });

  it('reports a peer that dies or writes nonsense, with its stderr', async () => {
    const dies = await (await fakePeer('dies', ['exit'])).start();
    await expect(dies.round(1, 1)).rejects.toThrow(/fake exited with status 3: fake peer: boom/);
    await dies.close();
    const garbage = await (await fakePeer('garbage', ['garbage'])).start();
    await expect(garbage.round(1, 1)).rejects.toThrow(/not JSON: not json/);
    await garbage.close();
  });

  it('reports a command that exits before it is ready as unavailable', async () => {
    const peer = processPeer({
      name: 'x',
      description: 'x',
      command: process.execPath,
      commandLabel: 'fake',
      args: () => ['-e', 'console.error("no such module"); process.exit(1)'],
      inputs: {},
    });
    await expect(peer.start()).rejects.toThrow('fake exited with status 1: no such module');
  });

  it('encodes inputs as HKIN, version, count, then name/length/elements (u32 little-endian)', () => {
    const bytes = encodeInputs({ ab: Uint32Array.of(1, 0xffff_ffff) });
    const view = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('HKIN');
    expect([view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true)]).toEqual([1, 1, 2]);
    expect(new TextDecoder().decode(bytes.subarray(16, 18))).toBe('ab');
    expect([view.getUint32(18, true), view.getUint32(22, true), view.getUint32(26, true)]).toEqual([
      2, 1, 0xffff_ffff,
    ]);
    expect(bytes.length).toBe(30);
  });
});

describe('the runner with external peers', () => {
  function suiteWith(external: ExternalCase[]): Suite {
    const counter = new Uint32Array(1);
    return {
      name: 'ext',
      description: 'external peers',
      opName: 'op',
      subject: 'js',
      targets: [{ peer: 'steady', minRatio: 0.0001 }],
      createCases: () => ({
        opsPerCall: 10,
        cases: [
          {
            name: 'js',
            description: 'adds',
            run: () => {
              counter[0] += 1;
            },
          },
        ],
        external,
        unavailable: [{ name: 'absent', description: 'never built', reason: 'not built' }],
      }),
    };
  }

  it('measures a peer in every round, and skips one that fails mid-run', async () => {
    const run = await runSuites({
      suites: [suiteWith([await fakePeer('steady', []), await fakePeer('flaky', ['ok', 'exit'])])],
      mode: MODES.tiny,
      seed: 1,
    });
    const suite = run.suites[0]!;
    expect(suite.cases.map((c) => c.name)).toEqual(['js', 'steady']);
    const steady = suite.cases[1]!;
    expect(steady.description).toBe('a fake peer (FakePeer 1.0)');
    expect(steady.samples).toBe(MODES.tiny.rounds * 3);
    expect(steady.medianNs).toBeGreaterThanOrEqual(100); // 1000..1002 ns per call of 10 ops
    expect(steady.medianNs).toBeLessThanOrEqual(100.2);
    expect(suite.ratios.map((r) => r.peer)).toEqual(['steady']);
    expect(suite.skipped).toEqual([
      { name: 'absent', description: 'never built', reason: 'not built' },
      {
        name: 'flaky',
        description: 'a fake peer (FakePeer 1.0)',
        reason: 'failed in round 2: fake exited with status 3: fake peer: boom',
      },
    ]);
  });
});

const hasPython = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!hasPython)('the Python side (python3 is here)', () => {
  it('reads the inputs file as written', async () => {
    const path = join(dir, 'inputs.bin');
    await writeFile(path, encodeInputs({ slots: Uint32Array.of(3, 1, 2), big: Uint32Array.of(0xffff_ffff) }));
    const code =
      'import sys, json; from heapkit_peer import read_inputs; print(json.dumps(read_inputs(sys.argv[1])))';
    const result = spawnSync('python3', ['-B', '-E', '-s', '-c', code, path], {
      cwd: PYTHON_DIR,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ slots: [3, 1, 2], big: [0xffff_ffff] });
  });

  it('runs a CPython peer script through the protocol', async () => {
    const ctx = { mode: 'tiny' as const, seed: 1, env: {} };
    const session = await pythonPeer(ctx, {
      name: 'cpython',
      description: 'churn',
      script: 'churn.py',
      inputs: {
        initial_sizes: Uint32Array.of(8, 16, 512, 100),
        slots: Uint32Array.of(0, 3, 2, 1, 1, 0, 2, 3),
        sizes: Uint32Array.of(8, 9, 10, 11, 500, 501, 502, 512),
      },
      params: { live_blocks: 4, steps_per_call: 20 },
    }).start();
    expect(session.description).toMatch(/^churn \(CPython 3\.\d+\.\d+/);
    await session.warmup(1);
    const samples = await session.round(1, 3);
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(samples.every((ns) => Number.isInteger(ns) && ns > 0)).toBe(true);
    await session.close();
  });

  it('reports bad inputs as the script’s error', async () => {
    const ctx = { mode: 'tiny' as const, seed: 1, env: {} };
    const peer = pythonPeer(ctx, {
      name: 'cpython',
      description: 'churn',
      script: 'churn.py',
      inputs: {
        initial_sizes: Uint32Array.of(8),
        slots: Uint32Array.of(0, 0, 0),
        sizes: Uint32Array.of(8, 8, 8),
      },
      params: { live_blocks: 1, steps_per_call: 1 },
    });
    await expect(peer.start()).rejects.toThrow(/^python3 reported: ValueError: churn inputs/);
  });
});
