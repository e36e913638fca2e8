/** The chart's geometry: each panel's axis, outliers, and where the value labels go. */
import { describe, expect, it } from 'vitest';
import { chartData, chartSpec, logAxis, OUTLIER_FACTOR, renderChartSvg } from './chart.js';
import type { RunResult, SuiteResult } from './results.js';

/** A run with one ratio suite and one slowdown-only suite, figures as given. */
function run(
  ratios: [string, number, number | null][],
  slowdowns: [string, number, number | null][],
): RunResult {
  const suite = (name: string, r: SuiteResult['ratios'], d: SuiteResult['slowdowns']) =>
    ({
      name,
      subject: 'heapkit',
      description: name,
      cases: [],
      skipped: [],
      ratios: r,
      slowdowns: d,
      memory: [],
    }) as unknown as SuiteResult;
  return {
    schemaVersion: 1,
    mode: 'full',
    date: '2026-12-02T00:00:00Z',
    seed: 1,
    environment: { node: 'v20', v8: '11', cpuModel: 'test cpu', cores: 2, os: 'linux', totalMemory: 1 },
    suites: [
      suite(
        'throughput',
        ratios.map(([peer, ratio, target]) => ({
          peer,
          ratio,
          target,
          met: target === null ? null : ratio >= target,
          perFork: [ratio],
        })),
        [],
      ),
      suite(
        'overheads',
        [],
        slowdowns.map(([name, ratio, maxRatio]) => ({
          case: name,
          baseline: 'base',
          ratio,
          maxRatio,
          met: maxRatio === null ? null : ratio <= maxRatio,
          perFork: [ratio],
        })),
      ),
    ],
  } as unknown as RunResult;
}

describe('chart', () => {
  it("fits each panel's axis to its own figures, with ticks inside it", () => {
    const { domain, ticks, cut } = logAxis([0.6, 1.4]);
    expect(cut).toBe(false);
    expect(domain[0]).toBeCloseTo(0.6 / 1.6, 12);
    expect(domain[1]).toBeCloseTo(1.4 * 1.6, 12);
    expect(ticks).toEqual([0.5, 1, 2]);
    // No empty decades: the lowest figure is 0.002, so the axis does not reach 0.0001.
    expect(logAxis([0.002, 3]).domain[0]).toBeGreaterThan(0.001);
  });

  it('leaves a lone outlier outside the axis, and says so on its bar', () => {
    expect(logAxis([4681, 100, 16.1, 0.42]).cut).toBe(true);
    expect(logAxis([4681, 100, 16.1, 0.42]).domain[1]).toBe(300);
    expect(logAxis([OUTLIER_FACTOR * 10 - 1, 10]).cut).toBe(false);
    const spec = JSON.stringify(
      chartSpec(
        run(
          [
            ['fast', 4681, 100],
            ['slow', 0.5, 1],
            ['mid', 16, null],
          ],
          [],
        ),
      ),
    );
    expect(spec).toContain('4681× (bar cut)');
    expect(spec).not.toContain('16.0× (bar cut)');
  });

  it('reads one way everywhere: slowdowns drawn as baseline ÷ case, labelled with both figures', () => {
    const bars = chartData(
      run(
        [],
        [
          ['traced', 4, 2],
          ['faster', 0.8, 1],
        ],
      ),
    );
    const traced = bars.find((b) => b.peer === 'traced vs base')!;
    expect(traced).toMatchObject({
      ratio: 0.25,
      target: 0.5,
      status: 'not met',
      label: '0.25× (time 4.00×)',
    });
    const faster = bars.find((b) => b.peer === 'faster vs base')!;
    expect(faster).toMatchObject({ ratio: 1.25, status: 'met', label: '1.25× (time 0.80×)' });
  });

  it('puts every value label right of parity, its bar and its target (never over a row label)', () => {
    const bars = chartData(
      run(
        [
          ['v8', 0.54, 1.2],
          ['thing', 4681, 100],
          ['slow', 0.2, null],
        ],
        [['t', 554, null]],
      ),
    );
    for (const bar of bars) {
      expect(bar.labelAt).toBeGreaterThanOrEqual(1);
      expect(bar.labelAt).toBeGreaterThanOrEqual(bar.ratio);
      if (bar.target !== null) expect(bar.labelAt).toBeGreaterThanOrEqual(bar.target);
    }
    expect(bars.find((b) => b.peer === 'v8')!.labelAt).toBe(1.2);
  });

  it('renders an SVG with a panel per suite and every label', async () => {
    const svg = await renderChartSvg(
      run(
        [
          ['v8', 0.54, 1.2],
          ['thing', 4681, 100],
        ],
        [['t', 554, null]],
      ),
    );
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of [
      'throughput: heapkit ÷ peer',
      'overheads: baseline time ÷ case time',
      '0.54×',
      '4681× (bar cut)',
      '0.0018× (time 554×)',
    ]) {
      expect(svg).toContain(text);
    }
  });
});
