/**
 * The chart of a run: per suite, one horizontal bar per peer showing the subject's throughput
 * ratio to it (subject ops/s ÷ peer ops/s at the medians), on a log axis, drawn from parity (1×)
 * to the ratio: rightwards when the subject is faster, leftwards when it is slower. A suite's
 * slowdowns (case time ÷ baseline time) are drawn the same way, as the baseline's time ÷ the
 * case's, so that right is always faster; their label says the slowdown. The target is a black
 * tick; the bar's colour says whether it is met. Written as `results/latest.svg`
 * after every run and as `results.svg` (tracked) after a published one.
 *
 * Drawn by Vega-Lite (the chart as a declarative spec) compiled to Vega and rendered by Vega's
 * headless SVG renderer: pure JS, no canvas, no browser, no network. Without the optional
 * `canvas` package Vega estimates text widths, which is all an SVG file needs.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { formatRatio } from './format.js';
import type { RunResult } from './results.js';

/** One bar of the chart. */
export interface ChartDatum {
  readonly suite: string;
  readonly peer: string;
  /** The y-axis label: the peer and its target. */
  readonly row: string;
  readonly ratio: number;
  readonly target: number | null;
  readonly status: 'met' | 'not met' | 'no target';
  /** The ratio as text, shown at the end of the bar. */
  readonly label: string;
}

const STATUS_COLORS = { met: '#2e7d32', 'not met': '#c62828', 'no target': '#78909c' } as const;

/**
 * The bars: every measured peer and every slowdown of every suite, in the order of the results
 * (a peer's ratio is left out when its slowdown against the subject is drawn).
 */
export function chartData(run: RunResult): ChartDatum[] {
  return run.suites.flatMap((suite) => [
    // A peer whose slowdown against the subject has its own bar is not drawn twice.
    ...suite.ratios
      .filter((r) => !suite.slowdowns.some((d) => d.case === r.peer && d.baseline === suite.subject))
      .map(
        (r): ChartDatum => ({
          suite: suite.name,
          peer: r.peer,
          row: r.target === null ? r.peer : `${r.peer} (target ≥ ${formatRatio(r.target)})`,
          ratio: r.ratio,
          target: r.target,
          status: r.met === null ? 'no target' : r.met ? 'met' : 'not met',
          label: formatRatio(r.ratio),
        }),
      ),
    ...suite.slowdowns.map(
      (d): ChartDatum => ({
        suite: suite.name,
        peer: `${d.case} vs ${d.baseline}`,
        row:
          d.maxRatio === null
            ? `${d.case} vs ${d.baseline}`
            : `${d.case} vs ${d.baseline} (slowdown ≤ ${formatRatio(d.maxRatio)})`,
        ratio: 1 / d.ratio,
        target: d.maxRatio === null ? null : 1 / d.maxRatio,
        status: d.met === null ? 'no target' : d.met ? 'met' : 'not met',
        label: `${formatRatio(d.ratio)} slowdown`,
      }),
    ),
  ]);
}

/** The Vega-Lite spec of the chart (data inline, nothing fetched). */
export function chartSpec(run: RunResult): TopLevelSpec {
  const data = chartData(run);
  const env = run.environment;
  const { domain, ticks } = logAxis(
    data.flatMap((d) => (d.target === null ? [d.ratio] : [d.ratio, d.target])),
  );
  const y = { field: 'row', type: 'nominal', title: null, sort: null, axis: { labelLimit: 440 } } as const;
  const x = { field: 'ratio', type: 'quantitative' } as const;
  const label = { type: 'text', baseline: 'middle', fontSize: 11 } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'heapkit throughput ÷ peer throughput',
      subtitle: [
        `${run.mode} run, ${run.date}; Node ${env.node}, ${env.cpuModel}`,
        'Bars from parity (dashed): right = heapkit faster. Black tick: the target.',
        'Slowdowns (case time ÷ baseline time) are drawn as baseline time ÷ case time.',
      ],
      anchor: 'start',
    },
    vconcat: run.suites
      .filter((suite) => suite.ratios.length + suite.slowdowns.length > 0)
      .map((suite) => ({
        title: {
          text:
            suite.ratios.length > 0
              ? `${suite.name}: ${suite.subject} ÷ peer`
              : `${suite.name}: baseline time ÷ case time`,
          ...(suite.skipped.length === 0
            ? {}
            : {
                subtitle: `Not measured: ${suite.skipped.map((c) => `${c.name} (${c.reason})`).join('; ')}`,
              }),
          anchor: 'start',
          fontSize: 12,
        },
        data: { values: data.filter((d) => d.suite === suite.name) as unknown as Record<string, unknown>[] },
        width: 420,
        height: { step: 26 },
        layer: [
          {
            mark: { type: 'bar', height: { band: 0.7 } },
            encoding: {
              y,
              x: {
                ...x,
                scale: { type: 'log', domain },
                axis: { values: ticks, labelExpr: "format(datum.value, '~g') + '×'", grid: true },
                title:
                  suite.ratios.length > 0
                    ? `${suite.subject} ops/s ÷ peer ops/s at the medians (log scale)`
                    : 'baseline median time ÷ case median time (log scale)',
              },
              x2: { datum: 1 },
              color: {
                field: 'status',
                type: 'nominal',
                scale: { domain: Object.keys(STATUS_COLORS), range: Object.values(STATUS_COLORS) },
                legend: { title: 'target', orient: 'bottom', direction: 'horizontal' },
              },
            },
          },
          {
            // Peers without a target have a null `target`: Vega-Lite leaves their tick out.
            mark: { type: 'tick', color: 'black', thickness: 3, height: 22 },
            encoding: { y, x: { field: 'target', type: 'quantitative' } },
          },
          {
            transform: [{ filter: 'datum.ratio >= 1' }],
            mark: { ...label, align: 'left', dx: 4 },
            encoding: { y, x, text: { field: 'label' } },
          },
          {
            transform: [{ filter: 'datum.ratio < 1' }],
            mark: { ...label, align: 'right', dx: -4 },
            encoding: { y, x, text: { field: 'label' } },
          },
          { mark: { type: 'rule', strokeDash: [4, 3], color: '#555' }, encoding: { x: { datum: 1 } } },
        ],
      })),
    spacing: 24,
    config: { background: 'white', font: 'Helvetica, Arial, sans-serif', view: { stroke: '#ddd' } },
  };
}

/**
 * A log axis holding every value and 1, padded by a little room for the labels, with ticks at
 * 1, 2 and 5 times each power of ten (only powers of ten when that would be too many).
 */
export function logAxis(values: readonly number[]): { domain: [number, number]; ticks: number[] } {
  const positive = [1, ...values].filter((v) => Number.isFinite(v) && v > 0);
  const low = Math.floor(Math.log10(Math.min(...positive) / 2));
  const high = Math.ceil(Math.log10(Math.max(...positive) * 2));
  const steps = high - low > 4 ? [1] : [1, 2, 5];
  const ticks: number[] = [];
  for (let e = low; e <= high; e++) {
    for (const m of steps) {
      const tick = Number((m * 10 ** e).toPrecision(1));
      if (tick <= 10 ** high) ticks.push(tick);
    }
  }
  return { domain: [10 ** low, 10 ** high], ticks };
}

/** The chart as an SVG document. */
export async function renderChartSvg(run: RunResult): Promise<string> {
  const vega = compile(chartSpec(run)).spec;
  const view = new View(parse(vega), { renderer: 'none' });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}
