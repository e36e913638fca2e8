/**
 * The runner's handling of a case's untimed `setup` and of a suite without subject ratios, with
 * tiny in-process cases. Asserts no time beyond "the setup's long busy wait is not in the samples".
 */
import { describe, expect, it } from 'vitest';
import { MODES } from './modes.js';
import { runSuites } from './runner.js';
import type { Suite } from './suite.js';

/** Spins for `ms` milliseconds. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // waiting
  }
}

describe('runner', () => {
  it('runs a case’s setup before every call, untimed', async () => {
    let setups = 0;
    let calls = 0;
    let ready = false;
    const suite: Suite = {
      name: 'setup',
      description: 'a case with a costly setup',
      opName: 'op',
      subject: 'with-setup',
      targets: [],
      createCases: () => ({
        opsPerCall: 1,
        cases: [
          {
            name: 'with-setup',
            description: 'setup busy 20 ms, run busy 1 ms (and checks the setup ran)',
            setup: () => {
              busy(20);
              setups++;
              ready = true;
            },
            run: () => {
              if (!ready) throw new Error('run without setup');
              ready = false;
              calls++;
              busy(1); // only the calls count against the budget: a short call means many setups
            },
          },
          { name: 'plain', description: 'nothing', run: () => {} },
        ],
      }),
    };
    const run = await runSuites({ suites: [suite], mode: MODES.tiny, seed: 1 });
    expect(calls).toBeGreaterThan(0);
    expect(setups).toBe(calls); // warm-up and measured calls alike
    const withSetup = run.suites[0]!.cases.find((c) => c.name === 'with-setup')!;
    expect(withSetup.samples).toBeGreaterThanOrEqual(MODES.tiny.rounds * MODES.tiny.minSamplesPerRound);
    expect(withSetup.medianNs).toBeLessThan(20e6); // the 20 ms of setup are not in the samples
  });

  it('reports no subject ratios for a suite that asks so, and rejects targets with it', async () => {
    const suite: Suite = {
      name: 'pairs',
      description: 'cases compared pair by pair',
      opName: 'op',
      subject: 'a',
      targets: [],
      subjectRatios: false,
      slowdowns: [{ case: 'b', baseline: 'c', maxRatio: null }],
      createCases: () => ({
        opsPerCall: 1,
        cases: ['a', 'b', 'c'].map((name) => ({ name, description: name, run: () => {} })),
      }),
    };
    const run = await runSuites({ suites: [suite], mode: MODES.tiny, seed: 1 });
    expect(run.suites[0]!.ratios).toEqual([]);
    expect(run.suites[0]!.slowdowns.map((s) => s.case)).toEqual(['b']);
    const withTargets: Suite = { ...suite, targets: [{ peer: 'b', minRatio: 1 }] };
    await expect(runSuites({ suites: [withTargets], mode: MODES.tiny, seed: 1 })).rejects.toThrow(
      /suite 'pairs' has throughput targets but no subject ratios/,
    );
  });
});
