/**
 * {@link Filter} and {@link DomainFilter}: which traces `Snapshot.filterTraces` keeps, with
 * tracemalloc's semantics (see `Lib/tracemalloc.py`). Bad arguments throw
 * {@link InvalidFilterError} when the filter is built, never later.
 */
import { InvalidFilterError } from './errors.js';
import { globToRegExp } from './fnmatch.js';
import type { Trace } from './trace.js';

/** Domains are 16-bit: 0..65535. */
const MAX_DOMAIN = 0xffff;

/**
 * Keeps (`inclusive`) or drops the traces allocated in files matching `filenamePattern` (a glob:
 * `*`, `?`, `[seq]`, `[!seq]`), optionally only at line `lineno` and only in `domain`. By default
 * only the most recent frame is checked; with `allFrames`, any frame of the traceback. Mirrors
 * `tracemalloc.Filter(inclusive, filename_pattern, lineno=None, all_frames=False, domain=None)`.
 */
export class Filter {
  /** Keep the matching traces (true) or drop them (false). */
  readonly inclusive: boolean;
  /** The glob the file name must match (`filename_pattern`). */
  readonly filenamePattern: string;
  /** The line the frame must be at, or null for any line. Default null. */
  readonly lineno: number | null;
  /** Check every frame of the traceback (`all_frames`), not just the most recent. Default false. */
  readonly allFrames: boolean;
  /** The domain the trace must be in, or null for any domain. Default null. */
  readonly domain: number | null;
  private readonly regexp: RegExp;

  constructor(
    inclusive: boolean,
    filenamePattern: string,
    lineno: number | null = null,
    allFrames = false,
    domain: number | null = null,
  ) {
    checkBoolean('Filter', 'inclusive', inclusive);
    if (typeof filenamePattern !== 'string') {
      throw new InvalidFilterError(
        `Filter: filenamePattern must be a string, not ${describe(filenamePattern)}`,
      );
    }
    if (filenamePattern.includes('\u0000')) {
      throw new InvalidFilterError(
        `Filter: filenamePattern ${JSON.stringify(filenamePattern)} contains a NUL character, which no file name has`,
      );
    }
    if (lineno !== null && !(Number.isSafeInteger(lineno) && lineno >= 0)) {
      throw new InvalidFilterError(
        `Filter: lineno must be null or a non-negative integer, not ${describe(lineno)}`,
      );
    }
    checkBoolean('Filter', 'allFrames', allFrames);
    if (domain !== null) checkDomain('Filter', domain);
    this.inclusive = inclusive;
    this.filenamePattern = filenamePattern;
    this.lineno = lineno;
    this.allFrames = allFrames;
    this.domain = domain;
    this.regexp = globToRegExp(filenamePattern);
  }

  /** Whether the frame matches the pattern and line, ignoring `inclusive`. */
  private matchFrameImpl(filename: string, lineno: number): boolean {
    if (!this.regexp.test(filename)) return false;
    return this.lineno === null || lineno === this.lineno;
  }

  /** Whether the filter keeps a trace whose frame is this one (`_match_frame`). */
  matchFrame(filename: string, lineno: number): boolean {
    return this.matchFrameImpl(filename, lineno) !== !this.inclusive;
  }

  /**
   * Whether the filter keeps a trace with these frames, given **most recent first** as CPython's
   * raw traceback tuples are (`_match_traceback`).
   */
  matchTraceback(framesMostRecentFirst: ReadonlyArray<readonly [string, number]>): boolean {
    if (this.allFrames) {
      const any = framesMostRecentFirst.some(([f, l]) => this.matchFrameImpl(f, l));
      return any ? this.inclusive : !this.inclusive;
    }
    const [filename, lineno] = framesMostRecentFirst[0]!;
    return this.matchFrame(filename, lineno);
  }

  /** Whether the filter keeps this trace (`_match`). */
  match(trace: Trace): boolean {
    const frames = trace.traceback.frames;
    let result: boolean;
    if (this.allFrames) {
      const any = frames.some((f) => this.matchFrameImpl(f.filename, f.lineno));
      result = any ? this.inclusive : !this.inclusive;
    } else {
      const recent = frames[frames.length - 1]!;
      result = this.matchFrame(recent.filename, recent.lineno);
    }
    if (this.domain === null) return result;
    return this.inclusive ? result && trace.domain === this.domain : result || trace.domain !== this.domain;
  }
}

/**
 * Keeps (`inclusive`) or drops the traces of one domain. Mirrors
 * `tracemalloc.DomainFilter(inclusive, domain)`.
 */
export class DomainFilter {
  readonly inclusive: boolean;
  readonly domain: number;

  constructor(inclusive: boolean, domain: number) {
    checkBoolean('DomainFilter', 'inclusive', inclusive);
    checkDomain('DomainFilter', domain);
    this.inclusive = inclusive;
    this.domain = domain;
  }

  /** Whether the filter keeps this trace. */
  match(trace: Trace): boolean {
    return (trace.domain === this.domain) === this.inclusive;
  }
}

/** What `Snapshot.filterTraces` accepts. */
export type TraceFilter = Filter | DomainFilter;

/** Checks a filter list: an array of {@link Filter}/{@link DomainFilter}, else throws. */
export function checkFilters(filters: unknown): readonly TraceFilter[] {
  if (!Array.isArray(filters)) {
    throw new InvalidFilterError(
      `filterTraces: filters must be an array of filters, not ${describe(filters)}`,
    );
  }
  filters.forEach((f: unknown, i) => {
    if (!(f instanceof Filter || f instanceof DomainFilter)) {
      throw new InvalidFilterError(
        `filterTraces: filters[${i}] must be a Filter or a DomainFilter, not ${describe(f)}`,
      );
    }
  });
  return filters as TraceFilter[];
}

function checkBoolean(owner: string, name: string, value: unknown): void {
  if (typeof value !== 'boolean') {
    throw new InvalidFilterError(`${owner}: ${name} must be a boolean, not ${describe(value)}`);
  }
}

function checkDomain(owner: string, domain: unknown): void {
  if (!(typeof domain === 'number' && Number.isInteger(domain) && domain >= 0 && domain <= MAX_DOMAIN)) {
    throw new InvalidFilterError(
      `${owner}: domain must be an integer in 0..${MAX_DOMAIN}, not ${describe(domain)}`,
    );
  }
}

/** A value for an error message: its type and, for primitives, the value. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}
