/**
 * @heapkit/mini-scheme — a small Scheme whose every value lives in one heapkit memory: the
 * arena allocator, refcounted objects, the cycle collector for the cycles closures and
 * environments make, and tracemalloc with Scheme source frames.
 * @packageDocumentation
 */
export { type Code, Compiler, type GlobalCell, type Node } from './compiler.js';
export { SchemeError, type SchemeErrorKind } from './errors.js';
export { type HeapOptions, SchemeHeap } from './heap.js';
export { Interpreter, type InterpreterOptions } from './interpreter.js';
export { equal, makeList, type Primitive, standardPrimitives } from './primitives.js';
export { formatFlonum, toDisplayString } from './printer.js';
export { Reader, type ReadResult } from './reader.js';
export * from './value.js';
