/** Number formatting shared by the console report, the Markdown summary and the chart. */
import type { RatioResult, SuiteResult } from './results.js';

/** Nanoseconds, 3 significant digits, in ns, µs or ms. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns < 1000) return `${sig3(ns)} ns`;
  if (ns < 1e6) return `${sig3(ns / 1e3)} µs`;
  return `${sig3(ns / 1e6)} ms`;
}

/** Operations per second with a k / M / G suffix. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return 'n/a';
  if (perSecond >= 1e9) return `${sig3(perSecond / 1e9)} G`;
  if (perSecond >= 1e6) return `${sig3(perSecond / 1e6)} M`;
  if (perSecond >= 1e3) return `${sig3(perSecond / 1e3)} k`;
  return sig3(perSecond);
}

/** A ratio with a `×`: `0.0052×`, `0.52×`, `1.20×`, `12.3×`, `140×`. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  if (ratio >= 100) return `${Math.round(ratio)}×`;
  if (ratio >= 10) return `${ratio.toFixed(1)}×`;
  if (ratio >= 1 || ratio === 0) return `${ratio.toFixed(2)}×`;
  return `${ratio.toPrecision(2)}×`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function sig3(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** `, in each of N processes (forks)` for a suite run in forks, else nothing. */
export function forksText(suite: Pick<SuiteResult, 'forks'>): string {
  return suite.forks > 1
    ? `, in each of ${suite.forks} processes (forks; ratios are the medians of theirs)`
    : '';
}

/** Every fork's ratio to each peer, for a suite run in forks. */
export function perForkText(ratios: readonly RatioResult[]): string {
  return `Per fork: ${ratios.map((r) => `${r.peer} ${forkValues(r.perFork)}`).join('; ')}.`;
}

/** A fork's values as `1.07 1.10 1.25` (two decimals, fork order). */
export function forkValues(values: readonly number[]): string {
  return values.map((v) => v.toFixed(2)).join(' ');
}
