/** Order statistics over the merged samples of a case. */

/**
 * The `q`-quantile (0..1) of ascending `sorted` samples, interpolating linearly between the
 * two nearest ranks (the "R-7" rule of spreadsheets and NumPy's default).
 */
export function quantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const position = (n - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, n - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p75: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Sorts a copy of `samples` and summarises it. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  return {
    count: sorted.length,
    min: sorted.length > 0 ? sorted[0]! : Number.NaN,
    p50: quantile(sorted, 0.5),
    p75: quantile(sorted, 0.75),
    p99: quantile(sorted, 0.99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}
