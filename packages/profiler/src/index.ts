/**
 * @heapkit/profiler — Python's `tracemalloc` for any heapkit `Allocator`: a {@link Profiler}
 * that wraps allocators (one domain each) and traces their blocks with tracebacks from the JS
 * stack or from a runtime's own frames, exactly or by Poisson sampling; {@link Snapshot}s with
 * tracemalloc's statistics, comparison, filters and a binary dump format; top-N, pprof and
 * HTML flame-graph reports; and the `heapkit-profile` CLI.
 * @packageDocumentation
 */
export {
  InvalidArgumentError,
  InvalidFilterError,
  NotTracingError,
  SnapshotFormatError,
} from './errors.js';
export { DomainFilter, Filter, type TraceFilter } from './filter.js';
export {
  type FlameGraphOptions,
  type FlameNode,
  flameDiffTree,
  flameGraphDiffHtml,
  flameGraphHtml,
  flameTree,
} from './flamegraph.js';
export { fnmatch, globToRegExp } from './fnmatch.js';
export { formatSize } from './format-size.js';
export { Frame, Traceback, UNKNOWN_FILENAME } from './frame.js';
export type { FrameSource, StackCutoff } from './frame-source.js';
export type { KeyType } from './group.js';
export { displayName, JsStackFrameSource } from './js-stack-source.js';
export { toPprof } from './pprof.js';
export {
  MAX_NFRAME,
  Profiler,
  type ProfilerOptions,
  type SamplingOptions,
  type WrapOptions,
} from './profiler.js';
export { formatTop, formatTopDiff, type TopOptions } from './report-top.js';
export { RuntimeFrameStack } from './runtime-frame-stack.js';
export { PoissonSampler } from './sampler.js';
export { Snapshot } from './snapshot.js';
export { FORMAT_VERSION, MAGIC } from './snapshot-codec.js';
export { Statistic, StatisticDiff } from './statistic.js';
export { Trace } from './trace.js';
export { TracebackTable, UNKNOWN_TOTAL } from './traceback-table.js';
export { TracedAllocator } from './traced-allocator.js';
