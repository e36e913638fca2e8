/**
 * The chart of a run: per suite, a panel with one horizontal bar per peer showing the subject's
 * throughput ratio to it (subject ops/s ÷ peer ops/s at the medians), on a log axis, drawn from
 * parity (1×) to the ratio. Every bar reads the same way: **further right is better for
 * heapkit**. A suite's slowdowns (case time ÷ baseline time) are drawn as baseline time ÷ case
 * time, so they read that way too; their labels give both figures. The target is a black tick;
 * the bar's colour says whether it is met.
 *
 * Each panel has its own axis, fitted to its own bars and targets. A lone outlier (a bar more
 * than {@link OUTLIER_FACTOR} times the next largest, such as a peer thousands of times slower)
 * would squeeze every other bar against parity, so the axis stops short of it: its bar runs to
 * the panel's edge and its label says "(bar cut)". Value labels sit right of the bar's end or of
 * parity or the target, whichever is furthest right, so they never cover a row label or a tick. Written as
 * `results/latest.svg` after every run and as `results.svg` (tracked) after a published one.
 *
 * Drawn by Vega-Lite (the chart as a declarative spec) compiled to Vega and rendered by Vega's
 * headless SVG renderer: pure JS, no canvas, no browser, no network. Without the optional
 * `canvas` package Vega estimates text widths, so the panels keep room for their labels.
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
  /** The bar's figure as text, shown beside it. */
  readonly label: string;
  /** Where the label is anchored: the bar's end, parity or the target tick, whichever is furthest right. */
  readonly labelAt: number;
}

const STATUS_COLORS = { met: '#2e7d32', 'not met': '#c62828', 'no target': '#78909c' } as const;

/** A bar more than this many times the next largest is an outlier: the axis stops short of it. */
export const OUTLIER_FACTOR = 30;
/** Width of each panel's plot, in pixels. */
const PANEL_WIDTH = 460;

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
          labelAt: Math.max(r.ratio, 1, r.target ?? 0),
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
        label: `${formatRatio(1 / d.ratio)} (time ${formatRatio(d.ratio)})`,
        labelAt: Math.max(1 / d.ratio, 1, d.maxRatio === null ? 0 : 1 / d.maxRatio),
      }),
    ),
  ]);
}

/** The Vega-Lite spec of the chart (data inline, nothing fetched). */
export function chartSpec(run: RunResult): TopLevelSpec {
  const data = chartData(run);
  const env = run.environment;
  const y = { field: 'row', type: 'nominal', title: null, sort: null, axis: { labelLimit: 0 } } as const;
  const label = { type: 'text', baseline: 'middle', align: 'left', dx: 5, fontSize: 11 } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'heapkit against its peers: further right is better for heapkit',
      subtitle: [
        `${run.mode} run, ${run.date}; Node ${env.node}, ${env.cpuModel}`,
        'Bars run from parity (dashed) to heapkit ops/s ÷ peer ops/s. Black tick: the target.',
        'Slowdowns (case time ÷ baseline time) are drawn as baseline time ÷ case time; labels give both.',
      ],
      anchor: 'start',
    },
    vconcat: run.suites
      .filter((suite) => suite.ratios.length + suite.slowdowns.length > 0)
      .map((suite) => {
        const bars = data.filter((d) => d.suite === suite.name);
        const axis = logAxis(bars.flatMap((d) => (d.target === null ? [d.ratio] : [d.ratio, d.target])));
        const top = axis.domain[1];
        const values = bars.map((d) =>
          d.ratio > top
            ? { ...d, label: `${d.label} (bar cut)`, labelAt: top }
            : { ...d, labelAt: Math.min(d.labelAt, top) },
        );
        const x = {
          field: 'ratio',
          type: 'quantitative',
          scale: { type: 'log', domain: axis.domain, nice: false, clamp: true },
          axis: { values: axis.ticks, labelExpr: "format(datum.value, '~g') + '×'", grid: true },
          title:
            suite.ratios.length > 0
              ? `${suite.subject} ops/s ÷ peer ops/s, or baseline time ÷ case time (log scale)`
              : 'baseline time ÷ case time (log scale)',
        } as const;
        return {
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
          data: { values: values as unknown as Record<string, unknown>[] },
          width: PANEL_WIDTH,
          height: { step: 26 },
          layer: [
            {
              mark: { type: 'bar', height: { band: 0.7 }, clip: true },
              encoding: {
                y,
                x,
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
              encoding: { y, x: { ...x, field: 'target' } },
            },
            {
              // Right of the bar's end, parity and the target: never over a row label or a tick.
              mark: label,
              encoding: { y, x: { ...x, field: 'labelAt' }, text: { field: 'label' } },
            },
            { mark: { type: 'rule', strokeDash: [4, 3], color: '#555' }, encoding: { x: { datum: 1 } } },
          ],
          resolve: { scale: { x: 'shared' } },
        };
      }),
    spacing: 28,
    // Room on the right for the value labels (Vega estimates text widths without a canvas).
    padding: { left: 5, top: 5, bottom: 5, right: 150 },
    config: { background: 'white', font: 'Helvetica, Arial, sans-serif', view: { stroke: '#ddd' } },
  };
}

/**
 * A panel's log axis: every value and 1, with a little room either side, and ticks at 1, 2 and 5
 * times each power of ten inside it (only powers of ten when it spans more than three decades).
 * A lone outlier, more than {@link OUTLIER_FACTOR} times the next largest value, is left outside:
 * the axis then ends at three times that next value, and `cut` says so.
 */
export function logAxis(values: readonly number[]): {
  domain: [number, number];
  ticks: number[];
  cut: boolean;
} {
  const sorted = [1, ...values].filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => b - a);
  const cut = sorted.length > 2 && sorted[0]! > OUTLIER_FACTOR * sorted[1]!;
  const high = cut ? sorted[1]! * 3 : sorted[0]! * 1.6;
  const low = sorted[sorted.length - 1]! / 1.6;
  const decades = Math.log10(high / low);
  const steps = decades > 3 ? [1] : [1, 2, 5];
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(low)); e <= Math.ceil(Math.log10(high)); e++) {
    for (const m of steps) {
      const tick = Number((m * 10 ** e).toPrecision(1));
      if (tick >= low && tick <= high) ticks.push(tick);
    }
  }
  return { domain: [low, high], ticks, cut };
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
