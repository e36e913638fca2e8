/**
 * Sizes as tracemalloc prints them (`_format_size` in CPython's `Lib/tracemalloc.py`): bytes up
 * to 10 KiB, then KiB, MiB, GiB, TiB with one decimal below 100 units and none above.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * Formats a byte count: `66 B`, `10.5 KiB`, `1234 KiB`, `12.0 MiB`. With `sign`, positive
 * values get a `+` (for differences). Mirrors CPython's `tracemalloc._format_size`.
 */
export function formatSize(size: number, sign = false): string {
  for (const unit of UNITS) {
    if (Math.abs(size) < 100 && unit !== 'B')
      return `${signed((roundHalfEven(size * 10) / 10).toFixed(1), size, sign)} ${unit}`;
    if (Math.abs(size) < 10 * 1024 || unit === 'TiB') {
      return `${signed(roundHalfEven(size).toFixed(0), size, sign)} ${unit}`;
    }
    size /= 1024;
  }
  /* c8 ignore next */
  throw new Error('unreachable');
}

function signed(text: string, value: number, sign: boolean): string {
  return sign && value >= 0 && !text.startsWith('-') ? `+${text}` : text;
}

/** Python's `%.0f` and `%.1f` round an exact tie to even (`2.5` → `2`); `toFixed` rounds it up. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
